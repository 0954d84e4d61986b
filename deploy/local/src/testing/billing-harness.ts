import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Child } from '../child';
import { startStack, type Stack, type StackOptions } from '../stack';
import { freePort } from '../tools';
import { FakeOkx } from './fake-okx';
import { FakePaystack } from './fake-paystack';
import { OtlpCollector } from './otlp-collector';
import { startStripeMock } from './stripe-mock';
import { secretsInLogs } from './log-secrets';

export const TEST_SECRETS = {
  stripeSecretKey: 'sk_test_123',
  stripeWebhookSecrets: ['whsec_current_test_secret', 'whsec_next_test_secret'],
  paystackSecretKey: 'sk_test_paystack_0123456789abcdef',
  jwtSecret: 'test-jwt-secret-that-is-long-enough-0123456789',
  okx: { apiKey: 'okx-test-api-key-0001', secret: 'okx-test-api-secret-0001', passphrase: 'okx-test-Passphrase1' },
  exchangeKeysMasterKey: '9f'.repeat(32),
};

/** Every secret the harness configures, by name (what no log line may contain). */
function harnessSecrets(stack: Stack): Record<string, string> {
  return {
    SERVICE_TOKEN_SECRET: stack.serviceTokenSecret,
    STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey,
    ...Object.fromEntries(TEST_SECRETS.stripeWebhookSecrets.map((s, i) => [`STRIPE_WEBHOOK_SECRET[${i}]`, s])),
    PAYSTACK_SECRET_KEY: TEST_SECRETS.paystackSecretKey,
    AUTH_JWT_SECRET: TEST_SECRETS.jwtSecret,
    'OKX api key': TEST_SECRETS.okx.apiKey,
    'OKX secret': TEST_SECRETS.okx.secret,
    'OKX passphrase': TEST_SECRETS.okx.passphrase,
    EXCHANGE_KEYS_MASTER_KEY: TEST_SECRETS.exchangeKeysMasterKey,
  };
}

export interface BillingHarness {
  stack: Stack;
  paystack: FakePaystack;
  okx: FakeOkx;
  collector: OtlpCollector;
  stripeApiBase: string;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * The billing path as it runs in production, on one machine: FerretDB, NATS, billing and
 * the gateway as real processes, with stripe-mock, a fake Paystack and an OTLP collector
 * standing in for the outside world.
 */
export async function startBillingHarness(extra: Partial<StackOptions> = {}): Promise<BillingHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tbot-test-'));
  const logs: string[] = [];
  const paystack = await new FakePaystack(TEST_SECRETS.paystackSecretKey).start();
  const collector = await new OtlpCollector().start();
  // OKX demo keys: every private request must carry x-simulated-trading: 1.
  const okx = await new FakeOkx({ ...TEST_SECRETS.okx, demo: true }).start();
  let stripeMock: { url: string; child: Child } | undefined;
  try {
    stripeMock = await startStripeMock();
    // A NATS of its own (started by the stack on a free port): streams and the durable
    // webhook consumer are shared by everything on one server, and another run's billing
    // must not take this one's events (nor JetStream's duplicate window drop a fixed id).
    const natsUrl = extra.env?.NATS_URL ?? process.env.TEST_NATS_URL ?? `nats://127.0.0.1:${await freePort()}`;
    const stack = await startStack({
      dataDir,
      sink: (name, line) => {
        logs.push(`${name} | ${line}`);
        if (process.env.SHOW_STACK_LOGS) process.stderr.write(`${name} | ${line}\n`);
      },
      ...extra,
      env: {
        LOG_LEVEL: 'info',
        MONGODB_URI: process.env.TEST_MONGODB_URI ?? '',
        STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey,
        STRIPE_API_BASE: stripeMock.url,
        STRIPE_WEBHOOK_SECRET: TEST_SECRETS.stripeWebhookSecrets.join(','),
        PAYSTACK_SECRET_KEY: TEST_SECRETS.paystackSecretKey,
        PAYSTACK_API_BASE: paystack.url,
        AUTH_JWT_SECRET: TEST_SECRETS.jwtSecret,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OKX_API_BASE: okx.url,
        EXCHANGE_KEYS_MASTER_KEY: TEST_SECRETS.exchangeKeysMasterKey,
        EXCHANGE_TIMEOUT_MS: '3000',
        // An event without a user waits 3 s for it before it is parked (30 min in production).
        UNMATCHED_RETRY_MINUTES: '0.05',
        // The fake OKX is one account shared by every user of a stack: reconciling each
        // user's book with it would book other users' positions. A test that trades alone on
        // it sets a short interval (exchange-truth.int.test.ts).
        RECONCILE_POSITIONS_INTERVAL_MS: '3600000',
        ...extra.env,
        NATS_URL: natsUrl,
      },
    });
    return {
      stack,
      paystack,
      okx,
      collector,
      stripeApiBase: stripeMock.url,
      logs,
      async stop() {
        await stack.stop();
        const leaked = secretsInLogs(logs, harnessSecrets(stack));
        await stripeMock?.child.stop();
        await paystack.stop();
        await okx.stop();
        await collector.stop();
        rmSync(dataDir, { recursive: true, force: true });
        if (leaked.length > 0) throw new Error(`secrets in service logs:\n${leaked.join('\n')}`);
      },
    };
  } catch (err) {
    await stripeMock?.child.stop();
    await paystack.stop();
    await okx.stop();
    await collector.stop();
    if (logs.length) process.stderr.write(`stack logs:\n${logs.slice(-60).join('\n')}\n`);
    throw err;
  }
}
