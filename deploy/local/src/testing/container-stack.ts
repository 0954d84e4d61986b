import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, ServingStatus } from '@tbot/common';
import type { Child } from '../child';
import { startFerretDB } from '../ferretdb';
import { ensureNats } from '../nats-server';
import { freePort, waitFor } from '../tools';
import { TEST_SECRETS } from './billing-harness';
import { runContainer, type Container } from './podman';
import { startStripeMock } from './stripe-mock';

export type ContainerService = 'billing' | 'trading' | 'gateway';

/** The image's CMD for each service (the Dockerfile's header lists them). */
const ENTRY_POINTS: Record<ContainerService, string> = {
  billing: 'services/billing/dist/main.js',
  trading: 'services/trading/dist/main.js',
  gateway: 'gateway/dist/main.js',
};

export interface ContainerStack {
  gatewayUrl: string;
  gatewayOpsUrl: string;
  billingUrl: string;
  tradingUrl: string;
  serviceTokenSecret: string;
  containers: Map<ContainerService, Container>;
  /** Every secret the containers were given, by name (what no log line may contain). */
  secrets: Record<string, string>;
  /** Every line the host processes (FerretDB, NATS) wrote, for a failure's report. */
  logs: string[];
  /** Removes the containers, then stops the host processes; safe after a failed start. */
  stop(): Promise<void>;
}

/**
 * Billing, trading and the gateway from the image, each in its own container, against
 * FerretDB, a NATS of their own and stripe-mock started here on the host (the containers
 * share the host's network). Resolves once billing and trading answer grpc.health.v1
 * SERVING and the gateway's /readyz is 200 with every check serving.
 */
export async function startContainerStack(image?: string): Promise<ContainerStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tbot-containers-'));
  const logs: string[] = [];
  const sink = (name: string, line: string) => logs.push(`${name} | ${line}`);
  const children: Child[] = [];
  const containers = new Map<ContainerService, Container>();
  const stop = async () => {
    // Containers first (they hold connections to the stores), then the host processes.
    await Promise.all([...containers.values()].map((c) => c.remove()));
    for (const child of children.reverse()) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ferret = await startFerretDB({ dataDir: path.join(dataDir, 'ferretdb'), sink });
    children.push(ferret.child);
    // A NATS of its own: streams and durable consumers are per server, and another run's
    // billing must not take this one's events.
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    const nats = await ensureNats(natsUrl, path.join(dataDir, 'nats'), sink);
    if (nats) children.push(nats);
    const stripeMock = await startStripeMock();
    children.push(stripeMock.child);

    const serviceTokenSecret = randomBytes(32).toString('hex');
    const [billingPort, billingMetricsPort, tradingPort, tradingMetricsPort, gatewayPort, gatewayOpsPort] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    const billingUrl = `http://127.0.0.1:${billingPort}`;
    const tradingUrl = `http://127.0.0.1:${tradingPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const gatewayOpsUrl = `http://127.0.0.1:${gatewayOpsPort}`;
    const common = { LOG_LEVEL: 'info', NATS_URL: natsUrl, SERVICE_TOKEN_SECRET: serviceTokenSecret, OTEL_SDK_DISABLED: 'true' };
    const envs: Record<ContainerService, Record<string, string>> = {
      billing: {
        ...common,
        MONGODB_URI: ferret.uri,
        BILLING_PORT: String(billingPort),
        METRICS_PORT: String(billingMetricsPort),
        RPC_HOST: '127.0.0.1',
        STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey,
        STRIPE_API_BASE: stripeMock.url,
      },
      trading: {
        ...common,
        MONGODB_URI: ferret.uri,
        TRADING_PORT: String(tradingPort),
        METRICS_PORT: String(tradingMetricsPort),
        RPC_HOST: '127.0.0.1',
        BILLING_URL: billingUrl,
        EXCHANGE_KEYS_MASTER_KEY: TEST_SECRETS.exchangeKeysMasterKey,
      },
      gateway: {
        ...common,
        PORT: String(gatewayPort),
        OPS_PORT: String(gatewayOpsPort),
        PUBLIC_BASE_URL: gatewayUrl,
        BILLING_URL: billingUrl,
        TRADING_URL: tradingUrl,
        STRIPE_WEBHOOK_SECRET: TEST_SECRETS.stripeWebhookSecrets.join(','),
        AUTH_JWT_SECRET: TEST_SECRETS.jwtSecret,
      },
    };
    for (const service of ['billing', 'trading', 'gateway'] as const) {
      containers.set(service, await runContainer({ name: service, image, command: [ENTRY_POINTS[service]], env: envs[service] }));
    }
    const alive = async () => {
      for (const [service, c] of containers) {
        if (!(await c.running())) throw new Error(`the ${service} container exited during start-up:\n${(await c.logs()).slice(-4000)}`);
      }
    };
    // A cold container start (Node loading every module from the image's overlay) is slower
    // than a host process's, more so on a loaded machine.
    for (const [service, url] of [['billing', billingUrl], ['trading', tradingUrl]] as const) {
      const health = createClient(Health, createGrpcTransport({ baseUrl: url, defaultTimeoutMs: 2000 }));
      await waitFor(`the ${service} container to be serving (grpc.health.v1)`, async () => {
        await alive();
        return (await health.check({ service: '' }).catch(() => undefined))?.status === ServingStatus.SERVING;
      }, 90_000, 250);
    }
    await waitFor('the gateway container to be ready (GET /readyz)', async () => {
      await alive();
      const res = await fetch(`${gatewayOpsUrl}/readyz`).catch(() => undefined);
      if (!res) return false;
      const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
      return res.status === 200 && Object.values(body.checks ?? {}).every((c) => c === 'serving');
    }, 90_000, 250);
    const secrets = {
      SERVICE_TOKEN_SECRET: serviceTokenSecret,
      STRIPE_SECRET_KEY: TEST_SECRETS.stripeSecretKey,
      ...Object.fromEntries(TEST_SECRETS.stripeWebhookSecrets.map((v, i) => [`STRIPE_WEBHOOK_SECRET[${i}]`, v])),
      AUTH_JWT_SECRET: TEST_SECRETS.jwtSecret,
      EXCHANGE_KEYS_MASTER_KEY: TEST_SECRETS.exchangeKeysMasterKey,
    };
    return { gatewayUrl, gatewayOpsUrl, billingUrl, tradingUrl, serviceTokenSecret, containers, secrets, logs, stop };
  } catch (err) {
    for (const [service, c] of containers) process.stderr.write(`--- ${service} container log:\n${(await c.logs()).slice(-3000)}\n`);
    await stop();
    throw err;
  }
}
