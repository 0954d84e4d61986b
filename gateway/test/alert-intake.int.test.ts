import { ALERT_CONSUMER, ALERT_STREAM } from '@tbot/common';
import { createProTrader, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { connect } from 'nats';
import { postAlert, tradingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// The durable alert intake: the gateway stores each alert in the ALERTS stream before it
// answers, the trading service executes from there at its own pace. Shown here: an alert
// sent while the trading service is down is executed once when it is back; one that waited
// too long is refused as stale rather than traded late; a burst beyond the trading
// service's concurrency is answered (200 or 202) and each alert executed once.

const XFF = { 'x-forwarded-for': '52.89.214.238' };
const MAX_AGE_SECONDS = 3;
/** The second stack's TRADINGVIEW_WAIT_MS: long, so an answer before it is visibly not the deadline's. */
const LONG_WAIT_MS = 8000;
const alert = (secret: string, id = nextId('ord')) => ({ symbol: 'BTCUSDT', action: 'buy', price: '37000', strategy: 'intake', secret, id });

describe('durable alert intake (ALERTS stream)', () => {
  let h: BillingHarness;
  let gw: string;
  let trading: ReturnType<typeof tradingClient>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: { TRUST_PROXY: 'loopback', TRADINGVIEW_WAIT_MS: '1500' },
        trading: {
          ALERT_CONCURRENCY: '2',
          // A killed replica's alerts come back soon; billing's answer may take long (it is frozen below).
          ALERT_ACK_WAIT_MS: '3000',
          RPC_TIMEOUT_MS: '30000',
        },
      },
    });
    gw = h.stack.gatewayUrl;
    trading = tradingClient(h.stack);
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function trader() {
    const user = await createProTrader(h.stack, 'intake');
    await trading.setRiskProfile({ userId: user.id, profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 } });
    return user;
  }
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
  /** Pending and unacknowledged alerts of the trading service's consumer: 0 and 0 once every alert is settled. */
  async function alertBacklog(): Promise<number> {
    const nc = await connect({ servers: h.stack.natsUrl });
    try {
      const info = await (await nc.jetstreamManager()).consumers.info(ALERT_STREAM, ALERT_CONSUMER);
      return info.num_pending + info.num_ack_pending;
    } finally {
      await nc.close();
    }
  }
  const drained = () => until('the ALERTS consumer to settle every alert', async () => ((await alertBacklog()) === 0 ? true : undefined), 60_000);

  async function killTrading(): Promise<void> {
    const child = h.stack.children.get('trading')!;
    child.proc.kill('SIGKILL');
    await child.exited;
  }

  it('a trading process killed after its order reached OKX: the redelivered alert places no second order', async () => {
    const u = await trader();
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const before = h.okx.orders.length;
    // OKX takes the order, and answers only much later: the process dies in between.
    h.okx.delayMs = 20_000;
    try {
      expect((await send(u.id, alert(u.secret))).status).toBe(202);
      await until('the order to reach OKX', async () => (h.okx.orders.length > before ? true : undefined));
      await killTrading();
    } finally {
      h.okx.delayMs = 0;
    }
    await h.stack.startService('trading');
    const trades = await until('order follow-up to settle the order', async () => {
      const t = await tradesOf(u.id).catch(() => []);
      return t.length > 0 && t.every((x) => x.status === 'filled') ? t : undefined;
    }, 60_000);
    await drained();
    expect(trades).toHaveLength(1);
    expect(h.okx.orders.length - before).toBe(1);
  });

  it('a trading process killed before it placed anything: the redelivered alert is executed, once', async () => {
    const u = await trader();
    const billingProc = h.stack.children.get('billing')!.proc;
    // Billing frozen: execution waits on its entitlement answer, with the signal taken in.
    billingProc.kill('SIGSTOP');
    try {
      expect((await send(u.id, alert(u.secret))).status).toBe(202);
      await until('the alert to be taken in', async () => ((await signalsOf(u.id)).length > 0 ? true : undefined));
      await killTrading();
    } finally {
      billingProc.kill('SIGCONT');
    }
    await h.stack.startService('trading');
    // The killed process's lock on the user expires first (UserLocks' lease).
    const [signal] = await until('the interrupted signal to be executed', async () => {
      const s = await signalsOf(u.id).catch(() => []);
      return s.length > 0 && s[0]!.status !== 'accepted' ? s : undefined;
    }, 90_000);
    await drained();
    const signals = await signalsOf(u.id);
    expect(signals.map((x) => [x.status, x.rejectCode, x.message])).toEqual([['executed', '', '']]);
    expect(signal).toMatchObject({ status: 'executed' });
    expect((await tradesOf(u.id)).map((t) => t.status)).toEqual(['filled']);
  });
});

describe('durable alert intake: alerts the trading service cannot take yet', () => {
  let h: BillingHarness;
  let trading: ReturnType<typeof tradingClient>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: { TRUST_PROXY: 'loopback', TRADINGVIEW_WAIT_MS: String(LONG_WAIT_MS), TRADINGVIEW_MAX_WAITING: '2' },
        trading: { MAX_SIGNAL_AGE_SECONDS: String(MAX_AGE_SECONDS) },
      },
    });
    trading = tradingClient(h.stack);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses an alert that waited in the stream longer than MAX_SIGNAL_AGE_SECONDS, instead of trading on it late', async () => {
    const u = await createProTrader(h.stack, 'intake');
    const stopped = h.stack.children.get('trading')!;
    await stopped.stop(10_000);
    let answer;
    try {
      [answer] = await Promise.all([
        postAlert(h.stack.gatewayUrl, u.id, alert(u.secret), { headers: XFF }),
        new Promise((r) => setTimeout(r, (MAX_AGE_SECONDS + 1) * 1000)),
      ]);
    } finally {
      await h.stack.startService('trading');
    }
    expect(answer.status).toBe(202);
    const [signal] = await until('the stale alert to be recorded', async () => {
      const s = (await trading.listSignals({ userId: u.id, pageSize: 5 }).catch(() => ({ signals: [] }))).signals;
      return s.some((x) => x.status !== 'accepted') ? s : undefined;
    });
    expect(signal).toMatchObject({ rejectCode: 'stale_signal', message: expect.stringMatching(/waited \d+ s before it could be executed/) });
    expect((await trading.listTrades({ userId: u.id, pageSize: 5 })).trades).toHaveLength(0);
  });


  it('answers a burst 202 as soon as it is stored once more than TRADINGVIEW_MAX_WAITING alerts wait, not at the deadline', async () => {
    const u = await createProTrader(h.stack, 'intake');
    const stopped = h.stack.children.get('trading')!;
    await stopped.stop(10_000);
    try {
      const began = Date.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => postAlert(h.stack.gatewayUrl, u.id, alert(u.secret), { headers: XFF })));
      const tookMs = Date.now() - began;
      expect(answers.map((a) => [a.status, a.body.status])).toEqual(answers.map(() => [202, 'accepted']));
      // Nothing can answer them (trading is stopped): only the release makes them early.
      expect(tookMs).toBeLessThan(LONG_WAIT_MS / 2);
      // A straggler of the burst (within 5 s of it): no wait either.
      const straggler = Date.now();
      expect(await postAlert(h.stack.gatewayUrl, u.id, alert(u.secret), { headers: XFF })).toMatchObject({ status: 202 });
      expect(Date.now() - straggler).toBeLessThan(LONG_WAIT_MS / 2);
    } finally {
      await h.stack.startService('trading');
    }
  });
});
