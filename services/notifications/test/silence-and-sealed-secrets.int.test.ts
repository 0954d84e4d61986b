import { newWebhookSecret } from '../src/channels/webhook/signature';
import { waitForServing, type Child } from '@tbot/local-stack';
import { createProTrader, stackNotificationsClient, startBillingHarness, startReplica, until, WebhookReceiver, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';

// On real processes: the "no TradingView alert for N hours" notice with two notifications
// replicas (once per silence, again after alerts resume and stop), and outbound endpoint
// secrets that are sealed in MongoDB (plaintext ones from before are re-sealed at start)
// while deliveries still verify with the whsec_ the user was given. Hours pass by moving
// the stored times back, not by waiting.

jest.setTimeout(120_000);

const ENV = { SILENCE_CHECK_INTERVAL_MS: '200', RETRY_SCAN_INTERVAL_MS: '200', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };
const HOUR = 3_600_000;


describe('silence notices and sealed endpoint secrets', () => {
  let h: BillingHarness;
  let receiver: WebhookReceiver;
  let db: mongoose.Connection;
  let replica: Child;
  let notifications: ReturnType<typeof stackNotificationsClient>;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startBillingHarness({ notifications: true, serviceEnv: { notifications: ENV } });
    notifications = stackNotificationsClient(h.stack, { timeoutMs: 20_000 });
    db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
    // A second replica: the silence notice must still go out once.
    replica = (await startReplica(h, 'notifications')).child;
  });
  afterAll(async () => {
    await replica?.stop();
    await db?.close();
    await h?.stop();
    await receiver?.stop();
  });

  const silentFor = (userId: string) => receiver.accepted().filter((r) => r.json.type === 'tradingview.silent' && r.json.data?.user_id === userId);

  it('stores the secret sealed, and deliveries still verify with it', async () => {
    const u = await createProTrader(h.stack, 'sealed');
    const added = await notifications.addWebhookEndpoint({ userId: u.id, url: `${receiver.url}/sealed`, description: '' });
    receiver.setSecrets([added.secret]);
    const doc = await db.collection('webhook_endpoints').findOne({ _id: added.endpoint!.id as never });
    expect(doc!.secrets).toEqual([expect.objectContaining({ sealed: expect.stringMatching(/^v2\.[0-9a-f]{16}\./) })]);
    expect(JSON.stringify(doc)).not.toContain(added.secret.slice('whsec_'.length));
    const r = await notifications.testWebhookEndpoint({ userId: u.id, endpointId: added.endpoint!.id });
    expect(r).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    expect(receiver.accepted().at(-1)!.verification).toEqual({ ok: true });

    // Rotation keeps the previous secret signing during the overlap, sealed as well.
    const rotated = await notifications.rotateWebhookEndpointSecret({ userId: u.id, endpointId: added.endpoint!.id, overlapSeconds: 60 });
    const after = await db.collection('webhook_endpoints').findOne({ _id: added.endpoint!.id as never });
    expect(after!.secrets).toHaveLength(2);
    expect(JSON.stringify(after)).not.toContain('whsec_');
    receiver.setSecrets([added.secret]);
    expect(await notifications.testWebhookEndpoint({ userId: u.id, endpointId: added.endpoint!.id })).toMatchObject({ outcome: 'delivered' });
    receiver.setSecrets([rotated.secret]);
    expect(await notifications.testWebhookEndpoint({ userId: u.id, endpointId: added.endpoint!.id })).toMatchObject({ outcome: 'delivered' });
  });

  it('re-seals a plaintext secret written before sealing at start, and it keeps verifying', async () => {
    const u = await createProTrader(h.stack, 'legacy');
    const secret = newWebhookSecret();
    const id = 'whe_legacy0001234567890ab';
    const now = new Date();
    // As the service wrote endpoints before this change.
    await db.collection('webhook_endpoints').insertOne({
      _id: id as never, userId: u.id, url: `${receiver.url}/legacy`, description: '', eventTypes: [], enabled: true,
      secrets: [{ secret, createdAt: now, expiresAt: null }], createdAt: now, failingSince: null, disabledReason: '', removed: false,
    });
    receiver.setSecrets([secret]);
    // Readable before the restart (a replica of the old version may have written it just now).
    expect(await notifications.testWebhookEndpoint({ userId: u.id, endpointId: id })).toMatchObject({ outcome: 'delivered' });
    const old = h.stack.children.get('notifications')!;
    await old.stop();
    const child = await h.stack.startService('notifications');
    await waitForServing('notifications', () => child, h.stack.notificationsUrl);
    const doc = await db.collection('webhook_endpoints').findOne({ _id: id as never });
    expect(JSON.stringify(doc)).not.toContain(secret);
    expect(doc!.secrets).toEqual([expect.objectContaining({ sealed: expect.stringMatching(/^v2\./), createdAt: now, expiresAt: null })]);
    expect(await notifications.testWebhookEndpoint({ userId: u.id, endpointId: id })).toMatchObject({ outcome: 'delivered' });
  });

  it('tells a silent user once per silence, across two replicas, and again after alerts resume and stop', async () => {
    const u = await createProTrader(h.stack, 'silent');
    const added = await notifications.addWebhookEndpoint({ userId: u.id, url: `${receiver.url}/silence`, description: '', eventTypes: ['tradingview.silent'] });
    receiver.setSecrets([added.secret]);
    await expect(notifications.updatePreferences({ userId: u.id, preferences: [], silenceAlertHours: 169 })).rejects.toThrow(/invalid_silence_alert_hours/);
    const prefs = await notifications.updatePreferences({ userId: u.id, preferences: [], silenceAlertHours: 1 });
    expect(prefs.silenceAlertHours).toBe(1);
    expect((await notifications.getPreferences({ userId: u.id })).silenceAlertHours).toBe(1);

    // Not silent yet: turned on a moment ago.
    await new Promise((r) => setTimeout(r, 1000));
    expect(silentFor(u.id)).toHaveLength(0);

    // Two hours pass without an alert.
    await db.collection('notification_preferences').updateOne({ _id: u.id as never }, { $set: { silenceEnabledAt: new Date(Date.now() - 2 * HOUR) } });
    const [first] = await until('the silence notice', () => (silentFor(u.id).length > 0 ? silentFor(u.id) : undefined));
    expect(first!.json).toMatchObject({ type: 'tradingview.silent', event_id: expect.stringMatching(new RegExp(`^silence:${u.id}\\|\\d+$`)), data: { hours: 1, reason_code: 'silent:1h' } });
    // Many checks by both replicas later: still one.
    await new Promise((r) => setTimeout(r, 2000));
    expect(silentFor(u.id)).toHaveLength(1);

    // An alert arrives (refused, as a wrong secret is: it still ends in trading.signal.rejected).
    const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${u.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: '37000', secret: 'wrong', id: `silence-${Date.now()}` }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const seen = await until('the alert seen', async () => (await db.collection('alert_activity').findOne({ _id: u.id as never })) ?? undefined);
    expect(seen.lastAlertAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(silentFor(u.id)).toHaveLength(1);

    // And then two silent hours again: a second notice, once.
    await db.collection('alert_activity').updateOne({ _id: u.id as never }, { $set: { lastAlertAt: new Date(Date.now() - 2 * HOUR) } });
    await until('the second silence notice', () => silentFor(u.id).length >= 2 || undefined);
    await new Promise((r) => setTimeout(r, 2000));
    const all = silentFor(u.id);
    expect(all).toHaveLength(2);
    expect(new Set(all.map((r) => r.json.event_id)).size).toBe(2);
    expect(await db.collection('silence_notices').countDocuments({ userId: u.id })).toBe(2);
    // Dispatched by one replica each time (the delivery key alone would hide a second dispatch).
    expect(h.logs.filter((l) => l.includes('no TradingView alert for longer than the user set') && l.includes(u.id))).toHaveLength(2);
  });
});
