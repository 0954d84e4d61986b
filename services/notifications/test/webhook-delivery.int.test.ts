import { Code, ConnectError } from '@connectrpc/connect';
import { waitForServing, type Child } from '@tbot/local-stack';
import {
  createProTrader,
  stackNotificationsClient,
  startBillingHarness,
  startReplica,
  verifyStandardWebhook,
  until,
  WebhookReceiver,
  type BillingHarness,
} from '@tbot/local-stack/dist/testing';
import { AckPolicy, connect, DeliverPolicy } from 'nats';

// Outbound webhooks end to end, on real processes: a TradingView alert at the gateway →
// trading → NATS (TRADING) → notifications → a signed POST to a receiver that verifies it
// as the Standard Webhooks spec says. Then the guarantee under stress: a replay of the
// stream, a notifications process killed mid-send, a receiver that fails for a while, a
// 410, and two replicas.

jest.setTimeout(120_000);

const NOTIFICATIONS_ENV = {
  // Seconds, not days, so retries happen within the test; the schedule's shape is unit-tested.
  RETRY_BASE_MS: '300',
  RETRY_MAX_DELAY_MS: '2000',
  RETRY_SCAN_INTERVAL_MS: '200',
  // A killed replica's claim is taken over after this.
  DELIVERY_LEASE_MS: '3000',
  WEBHOOK_TIMEOUT_MS: '20000',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
};


describe('outbound webhooks from trading events', () => {
  let h: BillingHarness;
  let receiver: WebhookReceiver;
  let notifications: ReturnType<typeof stackNotificationsClient>;
  let user: { id: string; secret: string };
  let endpointId: string;
  const whsecs: string[] = [];

  const send = (body: Record<string, unknown>) =>
    fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${user.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  let n = 0;
  const badAlert = () => send({ symbol: 'BTCUSDT', action: 'buy', price: '37000', secret: 'wrong-secret', id: `bad-${Date.now()}-${n++}` });
  const forType = (type: string) => receiver.accepted().filter((r) => r.json.type === type && r.json.data?.user_id === user.id);
  const restartNotifications = async (): Promise<Child> => {
    const child = await h.stack.startService('notifications');
    await waitForServing('notifications', () => child, h.stack.notificationsUrl);
    return child;
  };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startBillingHarness({ notifications: true, serviceEnv: { notifications: NOTIFICATIONS_ENV } });
    notifications = stackNotificationsClient(h.stack, { timeoutMs: 30_000 });
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    const u = await createProTrader(h.stack, 'notif');
    user = { id: u.id, secret: u.secret };
    const { stackTradingClient } = await import('@tbot/local-stack/dist/testing');
    await stackTradingClient(h.stack).setRiskProfile({
      userId: user.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 },
    });
    const added = await notifications.addWebhookEndpoint({ userId: user.id, url: `${receiver.url}/hooks`, description: 'test receiver' });
    expect(added.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    whsecs.push(added.secret);
    receiver.setSecrets([added.secret]);
    endpointId = added.endpoint!.id;
  });

  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  it('the receiver’s verifier agrees with the spec’s example', () => {
    const ok = verifyStandardWebhook(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: 'v1,bm9ldHUjKzFob2VudXRob2VodWUzMjRvdWVvdW9ldQo= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
      Buffer.from('{"test": 2432232314}'),
      { nowSeconds: 1614265330 },
    );
    expect(ok).toEqual({ ok: true });
    expect(verifyStandardWebhook(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, Buffer.from('{"test": 2432232315}'), { nowSeconds: 1614265330 })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it('a TradingView alert ends as signed order messages at the receiver, with the trace', async () => {
    const res = await send({ symbol: 'BTCUSDT', action: 'buy', price: '37000', secret: user.secret, id: `ok-${Date.now()}` });
    expect(res.status).toBe(200);
    const [filled] = await until('order.filled at the receiver', () => (forType('order.filled').length > 0 ? forType('order.filled') : undefined));
    expect(filled!.verification).toEqual({ ok: true });
    expect(filled!.id).toMatch(/^dlv_/);
    expect(filled!.json).toMatchObject({ type: 'order.filled', event_id: expect.stringMatching(/:filled$/), data: { user_id: user.id, status: 'filled', symbol: 'BTC/USDT', reason_code: 'filled' } });
    expect(filled!.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
    await until('order.submitted at the receiver', () => forType('order.submitted').length > 0 || undefined);
    const list = await notifications.listDeliveries({ userId: user.id, channel: 'webhook' });
    const d = list.deliveries.find((x) => x.id === filled!.id)!;
    expect(d).toMatchObject({ status: 'delivered', channel: 'webhook', destination: endpointId, eventType: 'order.filled' });
    expect(d.attempts).toEqual([expect.objectContaining({ number: 1, outcome: 'delivered', statusCode: 200, replay: false })]);
  });

  it('a replay of the whole stream, after a restart, sends nothing twice', async () => {
    const before = receiver.accepted().length;
    const ids = new Set(receiver.accepted().map((r) => r.id));
    const old = h.stack.children.get('notifications')!;
    old.proc.kill('SIGKILL');
    await old.exited;
    // An operator's replay: the durable consumer recreated from the stream's first message.
    const nc = await connect({ servers: h.stack.natsUrl });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.delete('TRADING', 'notifications-trading');
      await jsm.consumers.add('TRADING', { durable_name: 'notifications-trading', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: 'trading.>' });
      await restartNotifications();
      await until('the stream replayed', async () => {
        const info = await jsm.consumers.info('TRADING', 'notifications-trading');
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0 ? true : undefined;
      });
    } finally {
      await nc.close();
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.accepted().length).toBe(before);
    expect(new Set(receiver.accepted().map((r) => r.id))).toEqual(ids);
  });

  it('a process killed mid-send is retried after its claim expires, and delivered once', async () => {
    // The next request hangs: the process is killed while it waits for the answer.
    receiver.respond([{ status: 200, delayMs: 60_000 }]);
    const sentBefore = receiver.received.length;
    expect((await badAlert()).status).toBeGreaterThanOrEqual(400);
    const hung = await until('the request in flight', () => receiver.received[sentBefore]);
    expect(hung.json.type).toBe('signal.rejected');
    const old = h.stack.children.get('notifications')!;
    old.proc.kill('SIGKILL');
    await old.exited;
    await restartNotifications();
    const accepted = await until('the retry after the claim expired', () => receiver.accepted().filter((r) => r.id === hung.id).length > 0 ? receiver.accepted().filter((r) => r.id === hung.id) : undefined);
    expect(accepted).toHaveLength(1);
    expect(hung.status).toBe(0);
    expect(accepted[0]!.json.event_id).toBe(hung.json.event_id);
    expect(receiver.accepted().filter((r) => r.json.event_id === hung.json.event_id)).toHaveLength(1);
    const d = (await notifications.listDeliveries({ userId: user.id })).deliveries.find((x) => x.id === hung.id)!;
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a) => a.outcome)).toEqual(['delivered']);
  });

  it('a receiver failing for a while (503, 429 with Retry-After) gets the message after retries', async () => {
    receiver.respond([503, 500, { status: 429, headers: { 'retry-after': '1' } }]);
    const sentBefore = receiver.received.length;
    await badAlert();
    const first = await until('the first attempt', () => receiver.received[sentBefore]);
    const ok = await until('the delivery after the failures', () => receiver.accepted().find((r) => r.id === first.id), 40_000);
    const all = receiver.received.filter((r) => r.id === first.id);
    expect(all.map((r) => r.status)).toEqual([503, 500, 429, 200]);
    // Retry-After: 1 honoured (the jittered backoff alone would have been sooner).
    expect(all[3]!.at.getTime() - all[2]!.at.getTime()).toBeGreaterThanOrEqual(950);
    expect(ok.verification).toEqual({ ok: true });
    const d = (await notifications.listDeliveries({ userId: user.id })).deliveries.find((x) => x.id === first.id)!;
    expect(d.attempts.map((a) => [a.outcome, a.statusCode])).toEqual([
      ['retry', 503],
      ['retry', 500],
      ['retry', 429],
      ['delivered', 200],
    ]);
  });

  it('replays a delivered delivery only when asked explicitly, as a new attempt of the same delivery', async () => {
    const [d] = (await notifications.listDeliveries({ userId: user.id, status: 'delivered', pageSize: 1 })).deliveries;
    await expect(notifications.replayDelivery({ userId: user.id, deliveryId: d!.id })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const before = receiver.received.filter((r) => r.id === d!.id).length;
    const after = await notifications.replayDelivery({ userId: user.id, deliveryId: d!.id, force: true });
    expect(after.status).toBe('delivered');
    expect(after.attempts.at(-1)).toMatchObject({ outcome: 'delivered', replay: true });
    expect(receiver.received.filter((r) => r.id === d!.id)).toHaveLength(before + 1);
    expect((await notifications.listDeliveries({ userId: user.id, pageSize: 200 })).deliveries.filter((x) => x.eventId === d!.eventId && x.channel === 'webhook' && x.destination === d!.destination)).toHaveLength(1);
  });

  it('signs with both secrets during a rotation’s overlap', async () => {
    const rotated = await notifications.rotateWebhookEndpointSecret({ userId: user.id, endpointId, overlapSeconds: 3600 });
    whsecs.push(rotated.secret);
    receiver.setSecrets([rotated.secret]);
    const r = await notifications.testWebhookEndpoint({ userId: user.id, endpointId });
    expect(r).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    const last = receiver.received.at(-1)!;
    expect(last.signature.split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook([whsecs[0]!], last, Buffer.from(last.body))).toEqual({ ok: true });
    expect(verifyStandardWebhook([rotated.secret], last, Buffer.from(last.body))).toEqual({ ok: true });
  });

  it('a 410 disables the endpoint; nothing more is sent to it', async () => {
    const gone = await new WebhookReceiver().start();
    try {
      gone.respond([], 410);
      const added = await notifications.addWebhookEndpoint({ userId: user.id, url: gone.url, eventTypes: ['signal.rejected'] });
      whsecs.push(added.secret);
      gone.setSecrets([added.secret]);
      await badAlert();
      await until('the endpoint disabled', async () => {
        const eps = await notifications.listWebhookEndpoints({ userId: user.id });
        const ep = eps.endpoints.find((e) => e.id === added.endpoint!.id);
        return ep && !ep.enabled ? ep : undefined;
      }).then((ep) => expect(ep.disabledReason).toBe('gone'));
      const d = (await notifications.listDeliveries({ userId: user.id })).deliveries.find((x) => x.destination === added.endpoint!.id)!;
      expect(d).toMatchObject({ status: 'gone' });
      expect(d.attempts).toEqual([expect.objectContaining({ outcome: 'gone', statusCode: 410 })]);
      const count = gone.received.length;
      const mainBefore = forType('signal.rejected').length;
      await badAlert();
      await until('the next event at the healthy endpoint', () => forType('signal.rejected').length > mainBefore || undefined);
      expect(gone.received).toHaveLength(count);
    } finally {
      await gone.stop();
    }
  });

  it('two replicas deliver each event once', async () => {
    const { child: replica } = await startReplica(h, 'notifications');
    try {
      const earlier = new Set(forType('signal.rejected').map((r) => r.json.event_id));
      const fresh = () => forType('signal.rejected').filter((r) => !earlier.has(r.json.event_id));
      const count = 8;
      for (let i = 0; i < count; i++) await badAlert();
      await until(`${count} more signal.rejected`, () => fresh().length >= count || undefined);
      await new Promise((r) => setTimeout(r, 1500));
      const events = fresh().map((r) => r.json.event_id);
      expect(events).toHaveLength(count);
      expect(new Set(events).size).toBe(count);
    } finally {
      await replica.stop();
    }
  });

  it('refuses bad input with a machine-readable reason, and reports metrics', async () => {
    const err = await notifications.addWebhookEndpoint({ userId: user.id, url: 'ftp://example.com/x' }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^invalid_url: /) });
    await expect(notifications.getPreferences({ userId: 'nope' })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^invalid_user_id/) });
    await expect(notifications.updatePreferences({ userId: user.id, preferences: [{ eventType: 'order.exploded', channel: 'webhook', mode: 'on' }] })).rejects.toMatchObject({
      rawMessage: expect.stringMatching(/^unknown_event_type/),
    });
    const prefs = await notifications.updatePreferences({ userId: user.id, preferences: [{ eventType: 'order.filled', channel: 'email', mode: 'failures_only' }] });
    expect(prefs.preferences.find((p) => p.eventType === 'order.filled' && p.channel === 'email')).toMatchObject({ mode: 'failures_only', isDefault: false });
    const metrics = await (await fetch(h.stack.notificationsMetricsUrl)).text();
    expect(metrics).toMatch(/notification_deliveries_total\{channel="webhook",outcome="delivered"\} \d+/);
    expect(metrics).toMatch(/notification_delivery_attempts_total\{channel="webhook",outcome="retry"\} \d+/);
    expect(metrics).toContain('notification_event_to_delivery_seconds_bucket');
  });

  it('never logs a whsec_ secret', () => {
    expect(whsecs.length).toBeGreaterThan(2);
    expect(h.logs.filter((l) => whsecs.some((s) => l.includes(s)) || /whsec_[A-Za-z0-9+/]{20}/.test(l))).toEqual([]);
  });
});
