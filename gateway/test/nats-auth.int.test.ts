import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  connectNats,
  createLogger,
  ensureStream,
  ensureWebhookStream,
  publishEvent,
  publishWebhook,
  WEBHOOK_STREAM,
  type NatsCredentials,
} from '@tbot/common';
import { canConnect, findTool, freePort, REPO_ROOT, spawnChild, waitFor, type Child } from '@tbot/local-stack';
import { createProTrader, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { billingClient, postAlert, postStripe, outcomeOf } from './support/clients';
import { event, subscriptionNew } from './support/stripe-events';

// deploy/nats/auth.conf on a real nats-server, as docker compose and Kubernetes run it:
// each service gets in with its own user and can do its job, and nothing else.

const SERVICES = ['gateway', 'billing', 'trading', 'notifications'] as const;
type Service = (typeof SERVICES)[number];
// A letter first, as deploy/nats/auth.conf asks: nats-server reads a `$VAR` value starting with
// a digit as a number when it can (`7e…`), and then refuses its config.
const PASSWORDS: Record<Service, string> = {
  gateway: `p${randomBytes(18).toString('base64url')}`,
  billing: `p${randomBytes(18).toString('base64url')}`,
  trading: `p${randomBytes(18).toString('base64url')}`,
  notifications: `p${randomBytes(18).toString('base64url')}`,
};
const creds = (service: Service, password = PASSWORDS[service]): NatsCredentials => ({ NATS_USER: service, NATS_PASSWORD: password });

describe('NATS with a user per service (deploy/nats/auth.conf)', () => {
  let nats: Child;
  let url: string;
  let storeDir: string;
  const natsLog: string[] = [];
  const logLines: string[] = [];
  const logger = createLogger('nats-auth-test', 'info', { write: (line: string) => void logLines.push(line) });
  const open: NatsConnection[] = [];
  const connect = async (service: Service, c: NatsCredentials = creds(service)) => {
    const nc = await connectNats(url, service, logger, c);
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    const bin = findTool('nats-server', process.env.NATS_SERVER_BIN);
    if (!bin) throw new Error('nats-server is not installed (apt-get install nats-server)');
    storeDir = mkdtempSync(path.join(tmpdir(), 'tbot-nats-auth-'));
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = spawnChild(
      'nats',
      bin,
      // The compose file's config; port, monitoring and store of this test's own.
      ['-c', path.join(REPO_ROOT, 'deploy', 'nats', 'nats.conf'), '-a', '127.0.0.1', '-p', String(port), '-m', String(await freePort()), '-sd', storeDir],
      {
        env: {
          ...process.env,
          NATS_GATEWAY_PASSWORD: PASSWORDS.gateway,
          NATS_BILLING_PASSWORD: PASSWORDS.billing,
          NATS_TRADING_PASSWORD: PASSWORDS.trading,
          NATS_NOTIFICATIONS_PASSWORD: PASSWORDS.notifications,
        },
        sink: (_name, line) => void natsLog.push(line),
      },
    );
    await waitFor('nats-server to listen', async () => {
      if (nats.proc.exitCode !== null) throw new Error(`nats-server exited:\n${natsLog.join('\n')}`);
      return canConnect('127.0.0.1', port);
    });
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await nats?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  describe('who gets in', () => {
    it('refuses a client without credentials', async () => {
      await expect(connect('gateway', {})).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    });

    it("refuses a service with a wrong password, or with another service's", async () => {
      await expect(connect('billing', creds('billing', 'not-the-password'))).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
      await expect(connect('gateway', creds('gateway', PASSWORDS.billing))).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    });

    it('refuses half the credentials before connecting', async () => {
      await expect(connect('trading', { NATS_USER: 'trading' })).rejects.toThrow('NATS_USER and NATS_PASSWORD must be set together');
    });

    it('never logs a password', () => {
      for (const p of Object.values(PASSWORDS)) expect(logLines.join('\n')).not.toContain(p);
    });
  });

  describe('what each may do', () => {
    /** Resolves with the error a forbidden request fails with (the server drops it and says why). */
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'allowed',
        (err: { code?: string; message?: string }) => `${err.code ?? ''} ${err.message ?? ''}`,
      );
    /** A subscription the server refuses ends with a permissions error. */
    const subscribeRefusal = async (nc: NatsConnection, subject: string) => {
      const sub = nc.subscribe(subject, { timeout: 3000 });
      try {
        for await (const m of sub) void m;
        return 'ended';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    };

    it('gateway: stores webhooks in WEBHOOKS; may not publish elsewhere, read others, or delete the stream', async () => {
      const nc = await connect('gateway');
      await ensureWebhookStream(nc, 1);
      const stored = await publishWebhook(nc.jetstream(), { provider: 'stripe', type: 'customer.created', eventKey: 'stripe:evt_nats_auth', raw: new TextEncoder().encode('{}') }, { timeoutMs: 2000 });
      expect(stored.seq).toBeGreaterThan(0);

      expect(await refusal(publishEvent(nc.jetstream(), 'billing.subscription.updated', new Uint8Array(), 'forged', { timeoutMs: 1500 }))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await refusal(nc.jetstreamManager().then((jsm) => jsm.streams.delete(WEBHOOK_STREAM)))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await subscribeRefusal(nc, 'webhooks.>')).toBe('PERMISSIONS_VIOLATION');
      expect(await subscribeRefusal(nc, '_INBOX_billing.>')).toBe('PERMISSIONS_VIOLATION');
    });

    it('trading: its own stream and billing subscription events; not webhooks, not billing.>', async () => {
      const nc = await connect('trading');
      await ensureStream(nc, 'TRADING', ['trading.>']);
      const ok = await publishEvent(nc.jetstream(), 'trading.order.placed', new TextEncoder().encode('{}'), `t-${Date.now()}`, { timeoutMs: 2000 });
      expect(ok.seq).toBeGreaterThan(0);
      nc.subscribe('billing.subscription.>');
      await nc.flush();

      expect(await refusal(publishEvent(nc.jetstream(), 'webhooks.stripe.customer.created', new Uint8Array(), 'forged', { timeoutMs: 1500 }))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await subscribeRefusal(nc, 'webhooks.>')).toBe('PERMISSIONS_VIOLATION');
      expect(await subscribeRefusal(nc, 'billing.payment.>')).toBe('PERMISSIONS_VIOLATION');
      // It answers alerts on the gateway's inbox, and may not read it.
      expect(await subscribeRefusal(nc, '_INBOX_gateway.>')).toBe('PERMISSIONS_VIOLATION');
    });

    it('billing: reads WEBHOOKS through consumers; may not create streams of others nor read their inboxes', async () => {
      const nc = await connect('billing');
      await ensureStream(nc, 'BILLING', ['billing.>']);
      await ensureWebhookStream(nc, 1);
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add(WEBHOOK_STREAM, { durable_name: 'nats-auth-test', filter_subject: 'webhooks.>' });
      const consumer = await nc.jetstream().consumers.get(WEBHOOK_STREAM, 'nats-auth-test');
      const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        m.ack();
        got++;
      }
      expect(got).toBe(1);
      await jsm.consumers.delete(WEBHOOK_STREAM, 'nats-auth-test');

      expect(await refusal(ensureStream(nc, 'TRADING', ['trading.>']))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await subscribeRefusal(nc, '_INBOX_gateway.>')).toBe('PERMISSIONS_VIOLATION');
    });

    it('notifications: reads BILLING and TRADING through its own durable consumers; publishes nothing, deletes nothing', async () => {
      const nc = await connect('notifications');
      const jsm = await nc.jetstreamManager();
      // The streams exist (billing's and trading's cases above made them).
      for (const [stream, durable, filter] of [
        ['BILLING', 'notifications-billing', 'billing.>'],
        ['TRADING', 'notifications-trading', 'trading.>'],
      ] as const) {
        await jsm.consumers.add(stream, { durable_name: durable, filter_subject: filter, deliver_policy: DeliverPolicy.All, ack_policy: AckPolicy.Explicit });
        await jsm.consumers.update(stream, durable, { max_ack_pending: 256 });
        expect((await jsm.consumers.info(stream, durable)).config.durable_name).toBe(durable);
      }
      const consumer = await nc.jetstream().consumers.get('TRADING', 'notifications-trading');
      const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        m.ack();
        got++;
      }
      expect(got).toBe(1);

      expect(await refusal(jsm.consumers.add('TRADING', { durable_name: 'someone-else', filter_subject: 'trading.>' }))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await refusal(jsm.consumers.delete('TRADING', 'notifications-trading'))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await refusal(jsm.streams.delete('TRADING'))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await refusal(publishEvent(nc.jetstream(), 'trading.order.filled', new Uint8Array(), 'forged', { timeoutMs: 1500 }))).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT/);
      expect(await subscribeRefusal(nc, '_INBOX_billing.>')).toBe('PERMISSIONS_VIOLATION');
    });
  });

  describe('the services, each with its own user', () => {
    let h: BillingHarness;
    /** The server's log from here on: the refusals above are logged too. */
    let logFrom = 0;

    beforeAll(async () => {
      // The server's log reaches us through a pipe: let the refusals above arrive first, or
      // a late one would count against the services.
      for (let seen = -1; seen !== natsLog.length; ) {
        seen = natsLog.length;
        await new Promise((r) => setTimeout(r, 1000));
      }
      logFrom = natsLog.length;
      h = await startBillingHarness({
        env: { NATS_URL: url },
        // Notifications too: its consumers on BILLING and TRADING work under its user.
        notifications: true,
        serviceEnv: {
          gateway: { ...creds('gateway') },
          billing: { ...creds('billing') },
          trading: { ...creds('trading') },
          notifications: { ...creds('notifications') },
        },
      });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('start, take a webhook in, apply it and publish the change, without one permission violation', async () => {
      const user = await billingClient(h.stack).createUser({ email: `nats-auth-${Date.now()}@example.com` });
      const created = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
      const answer = await postStripe(h.stack.gatewayUrl, created);
      expect(answer.status).toBe(200);
      expect(await outcomeOf(h.stack, answer.body.event_id as string)).toBe('applied');
      expect((await billingClient(h.stack).getUser({ userId: user.id })).subscription?.plan).toBe('pro');
      // An operator's redelivery: a short-lived consumer on WEBHOOKS, read, removed, re-published.
      const since = timestampFromMs(Date.now() - 60_000);
      expect((await billingClient(h.stack).redeliverWebhooks({ provider: 'stripe', since })).count).toBeGreaterThan(0);
      // A TradingView alert: stored by the gateway in ALERTS, executed by trading through its
      // consumer, answered on the gateway's inbox.
      const trader = await createProTrader(h.stack, 'nats-auth');
      const alert = await postAlert(h.stack.gatewayUrl, trader.id, { symbol: 'BTCUSDT', action: 'buy', price: '37000', secret: trader.secret, id: `nats-auth-${Date.now()}` });
      expect(alert).toMatchObject({ status: 200, body: { status: 'success' } });
      // Let the outbox relay and trading's subscription run before reading the server's log.
      await new Promise((r) => setTimeout(r, 1500));
      // The refusals above were logged as violations, so an empty list here means something.
      expect(natsLog.slice(0, logFrom).some((l) => /violation/i.test(l))).toBe(true);
      expect(natsLog.slice(logFrom).filter((l) => /violation/i.test(l))).toEqual([]);
      for (const p of Object.values(PASSWORDS)) expect(h.logs.join('\n')).not.toContain(p);
    });
  });
});
