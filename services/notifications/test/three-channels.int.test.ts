import { Code, ConnectError } from '@connectrpc/connect';
import { waitForServing } from '@tbot/local-stack';
import {
  FakeTelegram,
  signStripe,
  stackBillingClient,
  stackNotificationsClient,
  stackTradingClient,
  startBillingHarness,
  startMailpit,
  until,
  WebhookReceiver,
  type BillingHarness,
  type Mailpit,
} from '@tbot/local-stack/dist/testing';
import { AckPolicy, connect, DeliverPolicy } from 'nats';

// Every channel at once, end to end on real processes: a signed Stripe webhook and a
// TradingView alert at the gateway → billing / trading → NATS → notifications → a Telegram
// message (fake Bot API, chat linked through the real /start <code> flow), an email (mailpit,
// over SMTP) and a signed outbound webhook (a receiver verifying from the spec). Then the
// guarantee: replays, a killed process, Telegram's 429 and 403, an endpoint failing past
// its window, and the email's one-click unsubscribe through the gateway.

jest.setTimeout(180_000);

const BOT_TOKEN = '7012345678:AAFakeTokenForTestsOnly_0123456789abcdef';
const UNSUBSCRIBE_SECRET = 'unsubscribe-secret-for-tests-0123456789abcdef';
const CHAT_ID = 55_501_234;
const PUBLIC_BASE_URL = 'https://app.example.test';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Telegram, email and outbound webhooks from one event', () => {
  let h: BillingHarness;
  let telegram: FakeTelegram;
  let mailpit: Mailpit;
  let receiver: WebhookReceiver;
  let notifications: ReturnType<typeof stackNotificationsClient>;
  let user: { id: string; email: string; secret: string };
  let stripeBody: string;
  const headerCache = new Map<string, Record<string, string[]>>();

  const tg = (re: RegExp) => telegram.messagesTo(CHAT_ID).filter((m) => re.test(m.visibleText));
  const hooks = (type: string) => receiver.accepted().filter((r) => r.json.type === type && r.json.data?.user_id === user.id);
  /** Emails to the user of one event type (X-Notification-Type), with their Message-IDs. */
  const mails = async (type: string) => {
    const out: Array<{ id: string; messageId: string }> = [];
    for (const m of await mailpit.listMessages()) {
      if (!m.To?.some((t) => t.Address === user.email)) continue;
      if (!headerCache.has(m.ID)) headerCache.set(m.ID, await mailpit.getHeaders(m.ID));
      if (headerCache.get(m.ID)!['X-Notification-Type']?.[0] === type) out.push({ id: m.ID, messageId: m.MessageID });
    }
    return out;
  };
  const deliveriesOf = async (eventType: string) =>
    (await notifications.listDeliveries({ userId: user.id, pageSize: 200 })).deliveries.filter((d) => d.eventType === eventType);
  let n = 0;
  const alert = (secret: string) =>
    fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${user.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: '37000', secret, id: `a-${Date.now()}-${n++}` }),
    });
  const badAlert = () => alert('wrong-secret');
  const restartNotifications = async () => {
    const child = await h.stack.startService('notifications');
    await waitForServing('notifications', () => child, h.stack.notificationsUrl);
  };
  const killNotifications = async () => {
    const old = h.stack.children.get('notifications')!;
    old.proc.kill('SIGKILL');
    await old.exited;
  };
  const metric = async (re: RegExp) => {
    const m = re.exec(await (await fetch(h.stack.notificationsMetricsUrl)).text());
    return m ? Number(m[1]) : undefined;
  };

  beforeAll(async () => {
    telegram = await new FakeTelegram(BOT_TOKEN).start();
    mailpit = await startMailpit();
    receiver = await new WebhookReceiver().start();
    h = await startBillingHarness({
      notifications: true,
      serviceEnv: {
        notifications: {
          RETRY_BASE_MS: '300',
          RETRY_MAX_DELAY_MS: '2000',
          RETRY_SCAN_INTERVAL_MS: '200',
          BACKLOG_SCAN_INTERVAL_MS: '200',
          // Long enough that a killed process's claim is seen waiting (backlog gauge).
          DELIVERY_LEASE_MS: '6000',
          WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
          WEBHOOK_TIMEOUT_MS: '20000',
          // 5 days in production; 4 seconds here (the window is the same rule).
          WEBHOOK_DISABLE_AFTER_FAILING_HOURS: String(4 / 3600),
          TELEGRAM_BOT_TOKEN: BOT_TOKEN,
          TELEGRAM_API_BASE: telegram.url,
          TELEGRAM_POLL_TIMEOUT_SECONDS: '2',
          SMTP_URL: mailpit.smtpUrl,
          SMTP_FROM: '"Trading Bot" <alerts@example.test>',
          NOTIFICATIONS_UNSUBSCRIBE_SECRET: UNSUBSCRIBE_SECRET,
          PUBLIC_BASE_URL,
        },
      },
    });
    notifications = stackNotificationsClient(h.stack, { timeoutMs: 30_000 });
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    const created = await stackBillingClient(h.stack).createUser({ email: `three-${Date.now()}@example.com` });
    user = { id: created.id, email: created.email, secret: '' };
  });

  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
    await mailpit?.stop();
    await telegram?.stop();
    const logs = h?.logs ?? [];
    // Checked after stop so every line is in.
    expect(logs.filter((l) => l.includes(BOT_TOKEN) || l.includes(BOT_TOKEN.split(':')[1]!) || l.includes(UNSUBSCRIBE_SECRET))).toEqual([]);
  });

  it('links a Telegram chat through /start <code>, and refuses bad input with a reason', async () => {
    const link = await notifications.createTelegramLink({ userId: user.id });
    expect(link.deepLink).toBe(`https://t.me/${telegram.botUsername}?start=${link.code}`);
    telegram.enqueueMessage(CHAT_ID, `/start ${link.code}`);
    await until('the chat linked', async () => (await notifications.listTelegramChats({ userId: user.id })).chatIds.includes(String(CHAT_ID)));
    await telegram.waitForMessages(CHAT_ID, 1);
    expect(telegram.messagesTo(CHAT_ID)[0]!.visibleText).toMatch(/^Connected/);

    await expect(notifications.setEmailAddress({ userId: user.id, email: 'a@b, c@d.example' })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^invalid_email/) });
    await expect(notifications.unlinkTelegramChat({ userId: user.id, chatId: 'x1' })).rejects.toMatchObject({ rawMessage: expect.stringMatching(/^invalid_chat_id/) });
    await expect(notifications.unlinkTelegramChat({ userId: user.id, chatId: '42' })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(notifications.unsubscribe({ token: 'abc.def' })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^invalid_token/) });
    await notifications.setEmailAddress({ userId: user.id, email: user.email });

    const added = await notifications.addWebhookEndpoint({ userId: user.id, url: `${receiver.url}/hooks` });
    receiver.setSecrets([added.secret]);
    // Fills are off by email by default (one email per fill is noise): on for this user.
    await notifications.updatePreferences({ userId: user.id, preferences: [{ eventType: 'order.filled', channel: 'email', mode: 'on' }] });
  });

  it('a signed Stripe webhook ends as one message in each channel', async () => {
    stripeBody = JSON.stringify({
      id: `evt_three_${Date.now()}`,
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `sub_three_${Date.now()}`, status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
    });
    const res = await fetch(`${h.stack.gatewayUrl}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signStripe(stripeBody) }, body: stripeBody });
    expect(res.status).toBe(200);
    await until('subscription.activated on Telegram', () => tg(/plan active/).length > 0);
    await until('subscription.activated by email', async () => (await mails('subscription.activated')).length > 0);
    await until('subscription.activated at the receiver', () => hooks('subscription.activated').length > 0);
    expect(hooks('subscription.activated')[0]!.verification).toEqual({ ok: true });
    // The same webhook again (Stripe retries): billing takes it once, nothing is sent twice.
    expect((await fetch(`${h.stack.gatewayUrl}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signStripe(stripeBody) }, body: stripeBody })).status).toBe(200);
    await sleep(1500);
    expect(tg(/plan active/)).toHaveLength(1);
    expect(await mails('subscription.activated')).toHaveLength(1);
    expect(hooks('subscription.activated')).toHaveLength(1);
    const ds = await deliveriesOf('subscription.activated');
    expect(ds.map((d) => [d.channel, d.status]).sort()).toEqual([['email', 'delivered'], ['telegram', 'delivered'], ['webhook', 'delivered']]);
  });

  it('a TradingView alert ends as one fill message in each channel', async () => {
    const trading = stackTradingClient(h.stack);
    await until('billing to make the user pro', async () => (await stackBillingClient(h.stack).getUser({ userId: user.id })).subscription?.features.includes('auto_trading'));
    user.secret = (await trading.rotateWebhookSecret({ userId: user.id })).secret;
    await trading.setRiskProfile({ userId: user.id, profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 } });
    expect((await alert(user.secret)).status).toBe(200);
    await until('order.filled on Telegram', () => tg(/^Filled:/).length > 0);
    await until('order.filled by email', async () => (await mails('order.filled')).length > 0);
    await until('order.filled at the receiver', () => hooks('order.filled').length > 0);
    const ds = await deliveriesOf('order.filled');
    expect(ds.map((d) => d.channel).sort()).toEqual(['email', 'telegram', 'webhook']);
    // No address in a span; the trace continues from the consumer span into a CLIENT span per send.
    const span = await until('a send span', () => h.collector.spans.find((s) => s.name === 'notification telegram send' && s.attributes['notification.event_type'] === 'order.filled'));
    expect(span).toMatchObject({ service: 'notifications', kind: 3, attributes: expect.objectContaining({ 'notification.channel': 'telegram', 'notification.outcome': 'delivered' }) });
    expect(JSON.stringify(span)).not.toContain(String(CHAT_ID));
    // gateway → NATS → notifications: the consume span is the parent, in the gateway's trace.
    const parent = await until('the consume span', () => h.collector.spans.find((s) => s.spanId === span.parentSpanId));
    expect(parent).toMatchObject({ service: 'notifications', kind: 5 });
    await until('the gateway’s span in the same trace', () => h.collector.spans.some((s) => s.service === 'gateway' && s.traceId === span.traceId), 5_000).catch((err: Error) => {
      throw new Error(`${err.message}; services in the trace: ${[...new Set(h.collector.spans.filter((s) => s.traceId === span.traceId).map((s) => s.service))].join(', ')}`);
    });
  });

  it('the email’s List-Unsubscribe works through the gateway: GET asks, POST (RFC 8058) unsubscribes', async () => {
    const [mail] = await mails('order.filled');
    const headers = await mailpit.getHeaders(mail!.id);
    expect(headers['List-Unsubscribe-Post']).toEqual(['List-Unsubscribe=One-Click']);
    const link = /^<(.+)>$/.exec(headers['List-Unsubscribe']![0]!)![1]!;
    expect(link.startsWith(`${PUBLIC_BASE_URL}/api/notifications/unsubscribe?token=`)).toBe(true);
    // The public https origin is the gateway here: the same path and query, over the local port.
    const u = new URL(link);
    const local = `${h.stack.gatewayUrl}${u.pathname}${u.search}`;
    const page = await fetch(local);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<form method="post"');
    // GET changed nothing.
    let prefs = await notifications.getPreferences({ userId: user.id });
    expect(prefs.preferences.find((p) => p.eventType === 'order.filled' && p.channel === 'email')!.mode).toBe('on');

    const bad = await fetch(`${h.stack.gatewayUrl}/api/notifications/unsubscribe?token=nope`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_token' });
    const forged = await fetch(`${h.stack.gatewayUrl}/api/notifications/unsubscribe?token=${u.searchParams.get('token')!.replace(/.$/, 'A')}x`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: 'invalid_token' });
    const noBody = await fetch(local, { method: 'POST' });
    expect(noBody.status).toBe(400);
    expect(await noBody.json()).toMatchObject({ error: 'one_click_required' });

    const done = await fetch(local, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('unsubscribed');
    prefs = await notifications.getPreferences({ userId: user.id });
    expect(prefs.preferences.find((p) => p.eventType === 'order.filled' && p.channel === 'email')!.mode).toBe('off');
    // Idempotent: the mail client may POST twice.
    expect((await fetch(local, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
  });

  it('a replay of both streams after a restart sends nothing twice, on any channel', async () => {
    const before = { tg: telegram.sent.length, mail: (await mailpit.listMessages()).length, hooks: receiver.accepted().length };
    await killNotifications();
    const nc = await connect({ servers: h.stack.natsUrl });
    try {
      const jsm = await nc.jetstreamManager();
      for (const [stream, durable, filter] of [['BILLING', 'notifications-billing', 'billing.>'], ['TRADING', 'notifications-trading', 'trading.>']] as const) {
        await jsm.consumers.delete(stream, durable);
        await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: filter });
      }
      await restartNotifications();
      for (const [stream, durable] of [['BILLING', 'notifications-billing'], ['TRADING', 'notifications-trading']] as const) {
        await until(`${stream} replayed`, async () => {
          const info = await jsm.consumers.info(stream, durable);
          return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0;
        });
      }
    } finally {
      await nc.close();
    }
    await sleep(2000);
    expect(telegram.sent.length).toBe(before.tg);
    expect((await mailpit.listMessages()).length).toBe(before.mail);
    expect(receiver.accepted().length).toBe(before.hooks);
  });

  it('killed mid-send and restarted: each channel gets the event once (Telegram: at most the one duplicate of a send Telegram accepted but whose answer was lost)', async () => {
    // Telegram takes the message but answers late; the webhook receiver hangs: the process
    // dies with both sends unanswered. Email goes out before the kill.
    telegram.delayNext(1, 60_000);
    receiver.respond([{ status: 200, delayMs: 60_000 }]);
    const tgBefore = tg(/^Signal refused/).length;
    const hooksBefore = receiver.received.length;
    await badAlert();
    await until('the Telegram message taken', () => tg(/^Signal refused/).length > tgBefore);
    const hung = await until('the webhook in flight', () => receiver.received[hooksBefore]);
    const eventId = hung.json.event_id!;
    await until('the email sent', async () => (await mails('signal.rejected')).length > 0);
    await killNotifications();
    await restartNotifications();
    // The dead process's claims hold until their lease ends: the backlog gauge shows the wait.
    const age = await until('a non-zero backlog age', () => metric(/notification_backlog_age_seconds\{channel="webhook"\} ([\d.e+-]+)/).then((v) => (v && v > 0 ? v : undefined)), 10_000);
    expect(age).toBeGreaterThan(0);
    await until('the webhook delivered after the lease', () => receiver.accepted().some((r) => r.json.event_id === eventId), 30_000);
    await until('the Telegram delivery settled', async () => (await deliveriesOf('signal.rejected')).find((d) => d.eventId === eventId && d.channel === 'telegram')?.status === 'delivered');
    await sleep(1000);
    expect(receiver.accepted().filter((r) => r.json.event_id === eventId)).toHaveLength(1);
    const mailsOfEvent = await mails('signal.rejected');
    expect(mailsOfEvent).toHaveLength(1);
    // Telegram has no idempotency key: the send it accepted before the crash and the retry
    // after the lease are two messages. The record bounds it to that one retry.
    // Here the crash falls exactly in that window, so the bound is reached: two, never more.
    expect(tg(/^Signal refused/).length - tgBefore).toBe(2);
    const ds = (await deliveriesOf('signal.rejected')).filter((d) => d.eventId === eventId);
    expect(ds.map((d) => [d.channel, d.status]).sort()).toEqual([['email', 'delivered'], ['telegram', 'delivered'], ['webhook', 'delivered']]);
  });

  it('Telegram’s 429 retry_after is honoured end to end', async () => {
    await sleep(1100);
    telegram.rateLimitNext(1, 2);
    const before = telegram.callsOf('sendMessage').length;
    await badAlert();
    const limited = await until('the 429', () => telegram.callsOf('sendMessage').slice(before).find((c) => c.status === 429));
    const ok = await until('the send after retry_after', () => telegram.callsOf('sendMessage').slice(before).find((c) => c.status === 200 && c.at > limited.at), 20_000);
    expect(ok.at - limited.at).toBeGreaterThanOrEqual(1950);
    // Telegram has the message before the attempt's outcome is written: wait for the record.
    const d = await until('the delivered attempt recorded', async () => {
      const found = (await notifications.listDeliveries({ userId: user.id, channel: 'telegram', pageSize: 5 })).deliveries.find((x) => x.attempts.some((a) => a.statusCode === 429));
      return found && found.attempts.length >= 2 ? found : undefined;
    });
    expect(d.attempts.map((a) => [a.outcome, a.statusCode])).toEqual([['retry', 429], ['delivered', 200]]);
  });

  it('an endpoint failing past the window is disabled and its owner told on Telegram and by email', async () => {
    const failing = await new WebhookReceiver().start();
    try {
      failing.respond([], 503);
      const added = await notifications.addWebhookEndpoint({ userId: user.id, url: failing.url, eventTypes: ['signal.rejected'] });
      failing.setSecrets([added.secret]);
      await badAlert();
      const ep = await until('the endpoint disabled', async () => (await notifications.listWebhookEndpoints({ userId: user.id })).endpoints.find((e) => e.id === added.endpoint!.id && !e.enabled), 30_000);
      expect(ep.disabledReason).toBe('failing');
      expect(failing.received.length).toBeGreaterThan(1);
      await until('the owner told on Telegram', () => tg(/Webhook endpoint disabled/).length > 0, 15_000);
      await until('the owner told by email', async () => (await mails('webhook_endpoint.disabled')).length > 0, 15_000);
      // Not on the webhook channel itself.
      expect(hooks('webhook_endpoint.disabled')).toHaveLength(0);
    } finally {
      await failing.stop();
    }
  });

  it('a chat that blocked the bot (403) is unbound; later events skip it', async () => {
    await sleep(1100);
    telegram.blockChat(CHAT_ID);
    const before = telegram.callsOf('sendMessage').filter((c) => c.chatId === String(CHAT_ID)).length;
    await badAlert();
    await until('the chat unbound', async () => (await notifications.listTelegramChats({ userId: user.id })).chatIds.length === 0);
    // The chat is unbound before the outcome is recorded: wait for the record.
    const gone = await until('the delivery recorded as gone', async () => {
      const list = (await notifications.listDeliveries({ userId: user.id, channel: 'telegram', status: 'gone' })).deliveries;
      return list.length > 0 ? list : undefined;
    });
    expect(gone).toHaveLength(1);
    expect(gone[0]!.attempts).toEqual([expect.objectContaining({ outcome: 'gone', statusCode: 403 })]);
    const hooksBefore = hooks('signal.rejected').length;
    await badAlert();
    await until('the next event at the webhook', () => hooks('signal.rejected').length > hooksBefore);
    await sleep(1000);
    expect(telegram.callsOf('sendMessage').filter((c) => c.chatId === String(CHAT_ID)).length).toBe(before + 1);
    const metrics = await (await fetch(h.stack.notificationsMetricsUrl)).text();
    expect(metrics).toMatch(/notification_deliveries_total\{channel="telegram",outcome="gone"\} 1/);
    expect(metrics).toMatch(/notification_deliveries_total\{channel="email",outcome="delivered"\} \d+/);
  });

  it('Unsubscribe refuses a token signed with another secret (4xx, machine-readable)', async () => {
    const err = await notifications.unsubscribe({ token: `${Buffer.from('{"u":"x","t":"*","e":9999999999}').toString('base64url')}.${'A'.repeat(43)}` }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^invalid_token/) });
  });
});
