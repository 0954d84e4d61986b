import { createProTrader, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { postAlert, tradingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// The durable alert intake: the gateway stores each alert in the ALERTS stream before it
// answers, the trading service executes from there at its own pace. Shown here: an alert
// sent while the trading service is down is executed once when it is back; one that waited
// too long is refused as stale rather than traded late; a burst beyond the trading
// service's concurrency is answered (200 or 202) and each alert executed once.

const XFF = { 'x-forwarded-for': '52.89.214.238' };
// Longer than a trading restart takes on a busy machine, short enough to wait out in a test.
const MAX_AGE_SECONDS = 15;

describe('durable alert intake (ALERTS stream)', () => {
  let h: BillingHarness;
  let gw: string;
  let trading: ReturnType<typeof tradingClient>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: { TRUST_PROXY: 'loopback', TRADINGVIEW_WAIT_MS: '1500' },
        trading: { MAX_SIGNAL_AGE_SECONDS: String(MAX_AGE_SECONDS), ALERT_CONCURRENCY: '2' },
      },
    });
    gw = h.stack.gatewayUrl;
    trading = tradingClient(h.stack);
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function trader() {
    const user = await createProTrader(h.stack, 'intake');
    await trading.setRiskProfile({ userId: user.id, profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 } });
    return user;
  }
  const alert = (secret: string, id = nextId('ord')) => ({ symbol: 'BTCUSDT', action: 'buy', price: '37000', strategy: 'intake', secret, id });
  const send = (userId: string, body: unknown) => postAlert(gw, userId, body, { headers: XFF });
  const tradesOf = async (userId: string) => (await trading.listTrades({ userId, pageSize: 50 })).trades;
  const signalsOf = async (userId: string) => (await trading.listSignals({ userId, pageSize: 50 })).signals;

  async function withTradingStopped<T>(during: () => Promise<T>): Promise<T> {
    await h.stack.children.get('trading')!.stop(10_000);
    try {
      return await during();
    } finally {
      await h.stack.startService('trading');
    }
  }

  it('answers 202 while the trading service is down, and executes the alert once when it is back', async () => {
    const u = await trader();
    const body = alert(u.secret);
    const answer = await withTradingStopped(() => send(u.id, body));
    expect(answer).toMatchObject({ status: 202, body: { status: 'accepted' } });

    const [signal] = await until('the stored alert to be executed', async () => {
      const s = await signalsOf(u.id).catch(() => []);
      return s.some((x) => x.status !== 'accepted') ? s : undefined;
    });
    expect(signal).toMatchObject({ status: 'executed', rejectCode: '' });
    expect((await tradesOf(u.id)).map((t) => t.status)).toEqual(['filled']);
    // TradingView (or a nervous trader) sending it again: recognised, not traded twice.
    const again = await send(u.id, body);
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await tradesOf(u.id)).toHaveLength(1);
  });

  it('refuses an alert that waited in the stream longer than MAX_SIGNAL_AGE_SECONDS, instead of trading on it late', async () => {
    const u = await trader();
    const answer = await withTradingStopped(async () => {
      const a = await send(u.id, alert(u.secret));
      await new Promise((r) => setTimeout(r, (MAX_AGE_SECONDS + 1) * 1000));
      return a;
    });
    expect(answer.status).toBe(202);
    const [signal] = await until('the stale alert to be recorded', async () => {
      const s = await signalsOf(u.id).catch(() => []);
      return s.length > 0 ? s : undefined;
    });
    expect(signal).toMatchObject({ rejectCode: 'stale_signal', message: expect.stringMatching(/waited \d+ s before it could be executed/) });
    expect(await tradesOf(u.id)).toHaveLength(0);
  });

  it('answers every alert of a burst beyond the service\'s concurrency (200 or 202) and executes each once', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => trader()));
    const answers = await Promise.all(users.map((u) => send(u.id, alert(u.secret))));
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 202)).toEqual([]);
    const counts = await until('every alert of the burst to be executed', async () => {
      const c = await Promise.all(users.map(async (u) => (await tradesOf(u.id)).filter((t) => t.status === 'filled').length));
      return c.every((n) => n >= 1) ? c : undefined;
    });
    expect(counts).toEqual(users.map(() => 1));
  });
});
