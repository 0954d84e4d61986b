import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, Outcome, ServingStatus } from '@tbot/common';
import {
  containersUnavailable,
  CONTAINER_IMAGE,
  signStripe,
  stackBillingClient,
  startContainerStack,
  type ContainerStack,
} from '../src/testing';
import { secretsInLogs } from '../src/testing/log-secrets';

/**
 * The image from the Dockerfile (built by scripts/container-image.sh with podman), run as
 * production runs it: gateway, billing and trading each in a read-only, non-root container,
 * against FerretDB and NATS on the host. Proves the image holds everything the services
 * need at run time, and that they start and work without writing to their filesystem.
 */
/** What scripts/container-image.sh passes to the build as the npm-ca secret. */
const HOST_CA_BUNDLE = process.env.CA_BUNDLE || '/etc/ssl/certs/ca-certificates.crt';

describe('the service image, run in containers', () => {
  const unavailable = containersUnavailable();
  if (unavailable) {
    // .ci/run builds the image and sets CONTAINERS_REQUIRED: there a missing one is a failure.
    if (process.env.CONTAINERS_REQUIRED) {
      it('has podman and the image', () => {
        throw new Error(`${unavailable} (CONTAINERS_REQUIRED is set)`);
      });
      return;
    }
    it.skip(`containers unavailable: ${unavailable}; skipped`, () => undefined);
    process.stderr.write(`NOTICE: the container image test is skipped: ${unavailable}\n`);
    return;
  }

  let stack: ContainerStack | undefined;

  beforeAll(async () => {
    stack = await startContainerStack(CONTAINER_IMAGE);
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const s = () => {
    if (!stack) throw new Error('the container stack did not start');
    return stack;
  };

  it('answers every readiness check with 200', async () => {
    const ready = await fetch(`${s().gatewayOpsUrl}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { nats: 'serving', billing: 'serving', mongodb: 'serving', trading: 'serving' } },
    });
    // Billing and trading answer grpc.health.v1 (their Kubernetes probes; gRPC over h2c).
    for (const [service, url] of [['billing', s().billingUrl], ['trading', s().tradingUrl]]) {
      const health = createClient(Health, createGrpcTransport({ baseUrl: url!, defaultTimeoutMs: 5000 }));
      const { status } = await health.check({ service: '' });
      expect({ service, status: ServingStatus[status] }).toEqual({ service, status: 'SERVING' });
    }
  });

  it('applies a signed Stripe webhook sent to the gateway container', async () => {
    const billing = stackBillingClient(s());
    const unique = `${Date.now()}${randomBytes(4).toString('hex')}`;
    const user = await billing.createUser({ email: `container-${unique}@example.com` });
    const body = JSON.stringify({
      id: `evt_container_${unique}`,
      object: 'event',
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `sub_${unique}`, status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
    });
    const res = await fetch(`${s().gatewayUrl}/api/payments/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body) },
      body,
    });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: { status: 'accepted', event_id: `stripe:evt_container_${unique}`, duplicate: false },
    });
    // The gateway answers once the event is in JetStream; billing's container applies it after.
    const deadline = Date.now() + 30_000;
    let event = await billing.getWebhookEvent({ eventKey: `stripe:evt_container_${unique}` });
    while (event.state !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      event = await billing.getWebhookEvent({ eventKey: `stripe:evt_container_${unique}` });
    }
    expect({ state: event.state, outcome: Outcome[event.outcome] }).toEqual({ state: 'done', outcome: 'APPLIED' });
    const { subscription } = await billing.getUser({ userId: user.id });
    expect(subscription).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe' });
  });

  (existsSync(HOST_CA_BUNDLE) ? it : it.skip)('holds no copy of the CA bundle given to the build as a secret', async () => {
    // scripts/container-image.sh mounts the host's bundle for npm ci only: no file of the
    // image may be it (same size and sha256), and no secret is left mounted.
    const bundle = readFileSync(HOST_CA_BUNDLE);
    const sha = createHash('sha256').update(bundle).digest('hex');
    const gateway = s().containers.get('gateway')!;
    const found = await gateway.exec([
      'sh',
      '-c',
      `find / -xdev -type f -size ${bundle.length}c -exec sha256sum {} + 2>/dev/null | grep ${sha}; ls -A /run/secrets 2>/dev/null; true`,
    ]);
    expect({ code: found.code, found: found.stdout.trim() }).toEqual({ code: 0, found: '' });
  });

  it('runs every service as uid 1000 on a read-only root filesystem', async () => {
    for (const [service, c] of s().containers) {
      const uid = await c.exec(['id', '-u']);
      expect({ service, uid: uid.stdout.trim() }).toEqual({ service, uid: '1000' });
      const rootWrite = await c.exec(['sh', '-c', 'echo x > /probe']);
      expect({ service, failed: rootWrite.code !== 0, stderr: rootWrite.stderr }).toEqual({
        service,
        failed: true,
        stderr: expect.stringMatching(/Read-only file system/),
      });
      // Not even where root may write on a writable filesystem: the code is root-owned and read-only.
      const appWrite = await c.exec(['sh', '-c', 'echo x > /app/probe']);
      expect({ service, failed: appWrite.code !== 0 }).toEqual({ service, failed: true });
      // /tmp is the one writable place (a tmpfs).
      const tmpWrite = await c.exec(['sh', '-c', 'echo x > /tmp/probe && cat /tmp/probe']);
      expect({ service, code: tmpWrite.code, out: tmpWrite.stdout.trim() }).toEqual({ service, code: 0, out: 'x' });
    }
  });

  // Last: the logs then cover start-up, the webhook and the probes above.
  it('writes no secret it was given to its logs', async () => {
    const lines: string[] = [];
    for (const [service, c] of s().containers) lines.push(...(await c.logs()).split('\n').map((l) => `${service} | ${l}`));
    expect(lines.length).toBeGreaterThan(3);
    expect(secretsInLogs(lines, s().secrets)).toEqual([]);
  });
});
