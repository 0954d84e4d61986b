import { SignalStatus } from '@tbot/common';
import type { Child } from '@tbot/local-stack';
import { createProTrader, stackTradingClient, startBillingHarness, startReplica, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { connect, type NatsConnection } from 'nats';

// On real processes (two trading replicas on one MongoDB and NATS): a day-long risk rule is
// announced once however many signals it refuses and whichever replica refuses them, and
// refused OKX keys once until the user saves new ones. Counted on the TRADING stream itself.

jest.setTimeout(120_000);

describe('trading.risk.limit_reached and trading.exchange.keys_rejected', () => {
  let h: BillingHarness;
  let second: Child;
  let secondUrl: string;
  let nc: NatsConnection;

  beforeAll(async () => {
    h = await startBillingHarness();
    nc = await connect({ servers: h.stack.natsUrl });
    ({ child: second, url: secondUrl } = await startReplica(h, 'trading'));
  });
  afterAll(async () => {
    await nc?.close();
    await second?.stop();
    await h?.stop();
  });

  const replicas = () => [h.stack.tradingUrl, secondUrl].map((baseUrl) => stackTradingClient(h.stack, { baseUrl, timeoutMs: 20_000 }));

  /** Every message of `subject` on the TRADING stream for this user, read from the start. */
  async function published(subject: string, userId: string): Promise<Array<{ msgId: string; body: Record<string, unknown> }>> {
    const consumer = await nc.jetstream().consumers.get('TRADING', { filterSubjects: subject });
    const out: Array<{ msgId: string; body: Record<string, unknown> }> = [];
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1500 });
    for await (const m of batch) {
      const body = m.json<Record<string, unknown>>();
      if (body.user_id === userId) out.push({ msgId: m.headers?.get('Nats-Msg-Id') ?? '', body });
      if (m.info.pending === 0) break;
    }
    return out;
  }

  /** Waits until `count` messages are there, then a little longer to see that no more come. */
  async function settle(subject: string, userId: string, count: number) {
    const deadline = Date.now() + 20_000;
    let got = await published(subject, userId);
    while (got.length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      got = await published(subject, userId);
    }
    await new Promise((r) => setTimeout(r, 1500));
    return published(subject, userId);
  }

  const signal = (secret: string, id: string) => Buffer.from(JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id, secret }));

  it('announces the kill switch once, after several refusals on two replicas', async () => {
    const [one, two] = replicas();
    const { id, secret } = await createProTrader(h.stack, 'killswitch');
    await one!.setRiskProfile({ userId: id, profile: { tradingEnabled: false, sizingMode: 'fixed_quote', sizingValue: 50 } });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => [one, two][i % 2]!.submitSignal({ userId: id, body: signal(secret, `kill-${i}`), waitMs: 5000 })),
    );
    expect(answers.map((a) => [a.status, a.rejectRule])).toEqual(Array(6).fill([SignalStatus.REJECTED, 'trading_disabled']));
    const events = await settle('trading.risk.limit_reached', id, 1);
    const day = new Date().toISOString().slice(0, 10);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({ msgId: `limit:${id}|trading_disabled|${day}`, body: expect.objectContaining({ user_id: id, rule: 'trading_disabled', day, limit: 0, value: 0 }) });
    // Announced by one replica once (the Nats-Msg-Id and the outbox would hide a second emit).
    expect(h.logs.filter((l) => l.includes('risk limit reached') && l.includes(id))).toHaveLength(1);
    // Every refusal is still its own signal.rejected.
    expect(await settle('trading.signal.rejected', id, 6)).toHaveLength(6);
  });

  it('announces the daily loss limit once, with the loss and the limit', async () => {
    const [one, two] = replicas();
    const { id, secret } = await createProTrader(h.stack, 'lossday');
    await one!.setRiskProfile({ userId: id, profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 50, dailyLossLimit: 100 } });
    // A losing close booked today (as order placement records it): 150 lost.
    const db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
    try {
      const now = new Date();
      await db.collection('trades').insertOne({
        _id: `trd_loss_${id.slice(0, 8)}` as never, userId: id, signalId: 'sig_loss', symbol: 'BTC/USDT', side: 'sell', status: 'filled', realizedPnl: -150, createdAt: now, updatedAt: now,
      });
    } finally {
      await db.close();
    }
    for (let i = 0; i < 3; i++) {
      const r = await [one, two][i % 2]!.submitSignal({ userId: id, body: signal(secret, `loss-${i}`), waitMs: 5000 });
      expect([r.status, r.rejectRule]).toEqual([SignalStatus.REJECTED, 'daily_loss_limit']);
    }
    const events = await settle('trading.risk.limit_reached', id, 1);
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toMatchObject({ rule: 'daily_loss_limit', limit: 100, value: 150 });
  });

  it('announces keys OKX refuses once, and again only after new keys are saved', async () => {
    const [one, two] = replicas();
    const { id, secret } = await createProTrader(h.stack, 'badkeys');
    await one!.setRiskProfile({ userId: id, profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 50 } });
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    const saveKeys = (apiKey: string) =>
      one!.setExchangeCredentials({ userId: id, exchange: 'okx', mode: 'okx-demo', apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    // The user deleted this key at OKX: OKX now knows another one only.
    h.okx.setCredentials({ ...TEST_SECRETS.okx, apiKey: 'okx-key-made-after-deleting-the-old' });
    try {
      await saveKeys(TEST_SECRETS.okx.apiKey);
      for (let i = 0; i < 3; i++) {
        const r = await [one, two][i % 2]!.submitSignal({ userId: id, body: signal(secret, `keys-${i}`), waitMs: 5000 });
        expect(r.status).not.toBe(SignalStatus.EXECUTED);
      }
      const first = await settle('trading.exchange.keys_rejected', id, 1);
      expect(first).toHaveLength(1);
      const announced = () => h.logs.filter((l) => l.includes('OKX refused the API keys') && l.includes(id)).length;
      expect(announced()).toBe(1);
      expect(first[0]!.body).toMatchObject({ user_id: id, mode: 'okx-demo', exchange_code: '50111', message: 'Invalid OK-ACCESS-KEY' });
      expect(first[0]!.msgId).toMatch(new RegExp(`^keys:${id}\\|\\d+$`));
      // No key material in the event.
      const raw = JSON.stringify(first);
      for (const s of [TEST_SECRETS.okx.apiKey, TEST_SECRETS.okx.secret, TEST_SECRETS.okx.passphrase]) expect(raw).not.toContain(s);

      // New keys, refused too (a typo): told again, once.
      await saveKeys('okx-key-with-a-typo');
      for (let i = 3; i < 5; i++) await [one, two][i % 2]!.submitSignal({ userId: id, body: signal(secret, `keys-${i}`), waitMs: 5000 });
      const after = await settle('trading.exchange.keys_rejected', id, 2);
      expect(after).toHaveLength(2);
      expect(new Set(after.map((e) => e.msgId)).size).toBe(2);
      expect(announced()).toBe(2);

      // The right keys: the signal goes through and nothing more is announced.
      await saveKeys('okx-key-made-after-deleting-the-old');
      const ok = await two!.submitSignal({ userId: id, body: signal(secret, 'keys-ok'), waitMs: 5000 });
      expect(ok.status).toBe(SignalStatus.EXECUTED);
      expect(await settle('trading.exchange.keys_rejected', id, 2)).toHaveLength(2);
      expect(announced()).toBe(2);
    } finally {
      h.okx.setCredentials(TEST_SECRETS.okx);
    }
  });
});
