import { createHash } from 'node:crypto';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { createProTrader, signAlert, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { connect, type Msg } from 'nats';
import { billingClient, postAlert, tradingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// TradingView alerts end to end: gateway → trading (→ billing for entitlement) → paper
// book or the fake OKX (demo keys, signatures checked) → MongoDB and NATS.

const XFF = { 'x-forwarded-for': '52.89.214.238' }; // one of TradingView's addresses
const OVERLAP_SECONDS = 8;


describe('TradingView alerts to trades', () => {
  let h: BillingHarness;
  let gw: string;
  let billing: ReturnType<typeof billingClient>;
  let trading: ReturnType<typeof tradingClient>;
  const secrets: string[] = [];

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: {
          TRADINGVIEW_IP_ALLOWLIST: 'true',
          TRUST_PROXY: 'loopback',
          TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE: '40',
          TRADINGVIEW_USER_RATE_LIMIT_PER_MINUTE: '30',
        },
        // Short enough to see a rotation's overlap end within the test.
        trading: { ORDER_FOLLOW_UP_INTERVAL_MS: '300', WEBHOOK_SECRET_OVERLAP_SECONDS: String(OVERLAP_SECONDS) },
      },
    });
    gw = h.stack.gatewayUrl;
    billing = billingClient(h.stack);
    trading = tradingClient(h.stack);
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    h.okx.setPrice('BTC-USDT-SWAP', 37_000);
    h.okx.setPrice('ETH-USDT', 2_000);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A user on pro (through a signed Stripe event) with a TradingView secret. */
  async function proTrader(profile: Record<string, unknown> = {}) {
    const user = await createProTrader(h.stack, 'tv');
    const { secret, signingKey } = user;
    secrets.push(secret, signingKey);
    await trading.setRiskProfile({
      userId: user.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, closeOppositeFirst: true, maxOrderNotional: 10_000, ...profile },
    });
    return { id: user.id, secret, signingKey };
  }

  const alert = (secret: string, extra: Record<string, unknown> = {}) => ({
    symbol: 'BTCUSDT',
    action: 'buy',
    price: '37000',
    strategy: 'momentum',
    secret,
    id: nextId('ord'),
    ...extra,
  });
  const send = (userId: string, body: unknown, opts: Parameters<typeof postAlert>[3] = {}) =>
    postAlert(gw, userId, body, { ...opts, headers: { ...XFF, ...opts.headers } });

  it('places a paper trade for a pro user, from JSON and from text/plain, on either URL form', async () => {
    const u = await proTrader();
    const res = await send(u.id, alert(u.secret));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'success', trade_id: expect.stringMatching(/^trd_/), signal_id: expect.stringMatching(/^sig_/) });
    const plain = await send(u.id, JSON.stringify(alert(u.secret, { action: 'sell', price: 38000 })), { contentType: 'text/plain; charset=utf-8', path: 'path' });
    expect(plain.status).toBe(200);

    const { trades } = await trading.listTrades({ userId: u.id });
    expect(trades.map((t) => [t.side, t.status, t.mode, t.symbol])).toEqual([
      ['sell', 'filled', 'paper', 'BTC/USDT'],
      ['buy', 'filled', 'paper', 'BTC/USDT'],
    ]);
    expect(trades[1]!.amount).toBeCloseTo(100 / 37000, 8);
    expect(trades[1]!.price).toBe(37000);
    expect(h.okx.orders).toHaveLength(0); // paper never reaches the exchange
    const { signals } = await trading.listSignals({ userId: u.id });
    expect(signals.map((s) => s.status)).toEqual(['executed', 'executed']);
  });

  it('places one order on OKX demo for a repeated alert, signed as OKX requires', async () => {
    const u = await proTrader();
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const a = alert(u.secret);
    const first = await send(u.id, a);
    expect(first).toMatchObject({ status: 200, body: { status: 'success' } });
    const again = await send(u.id, a);
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', trade_id: first.body.trade_id } });

    const mine = h.okx.orders.filter((o) => o.instId === 'BTC-USDT' && h.okx.requests.some((r) => JSON.stringify(r.body ?? '').includes(o.clOrdId)));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ side: 'buy', state: 'filled' });
    const privateCalls = h.okx.requests.filter((r) => r.path.startsWith('/api/v5/trade/'));
    expect(privateCalls.length).toBeGreaterThan(0);
    for (const r of privateCalls) expect(r.headers['x-simulated-trading']).toBe('1');
    const [trade] = (await trading.listTrades({ userId: u.id })).trades;
    expect(trade).toMatchObject({ status: 'filled', mode: 'okx-demo', clientOrderId: mine[0]!.clOrdId, exchangeOrderId: mine[0]!.ordId });
  });

  it('after an exchange timeout, finds the order by clientOrderId instead of placing a second one', async () => {
    const u = await proTrader();
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const before = h.okx.orders.length;
    h.okx.failNextOrderWithTimeout(1);
    const res = await send(u.id, alert(u.secret));
    expect([200, 202]).toContain(res.status);
    const trade = await until('the trade to fill', async () => {
      const [t] = (await trading.listTrades({ userId: u.id })).trades;
      return t?.status === 'filled' ? t : undefined;
    });
    expect(h.okx.orders.length - before).toBe(1);
    expect(h.okx.orders.at(-1)!.clOrdId).toBe(trade.clientOrderId);
  });

  it('answers 202 in time when the exchange is slow, and the order still fills', async () => {
    const u = await proTrader();
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    h.okx.delayMs = 1200;
    try {
      const res = await send(u.id, alert(u.secret));
      expect(res).toMatchObject({ status: 202, body: { status: 'accepted', signal_id: expect.stringMatching(/^sig_/) } });
      await until('the trade to fill', async () => {
        const [t] = (await trading.listTrades({ userId: u.id })).trades;
        return t?.status === 'filled' ? t : undefined;
      });
    } finally {
      h.okx.delayMs = 0;
    }
  });

  it('refuses bad secrets, placeholders, malformed and stale alerts, with their codes, and records them', async () => {
    const u = await proTrader();
    expect(await send(u.id, alert('wrong-secret'))).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    expect(await send(u.id, { symbol: 'BTCUSDT', action: 'buy' })).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    expect(await send('00000000-0000-4000-8000-00000000dead', alert(u.secret))).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    expect(await send(u.id, alert(u.secret, { price: '{{close}}' }))).toMatchObject({ status: 400, body: { error: 'unresolved_placeholder' } });
    expect(await send(u.id, alert(u.secret, { action: 'hodl' }))).toMatchObject({ status: 400, body: { error: 'malformed_alert' } });
    expect(await send(u.id, 'buy BTC now', { contentType: 'text/plain' })).toMatchObject({ status: 401 });
    expect(await send('not-a-user', alert(u.secret))).toMatchObject({ status: 400, body: { error: 'malformed_alert' } });
    const stale = await send(u.id, alert(u.secret, { timestamp: new Date(Date.now() - 5 * 60_000).toISOString() }));
    expect(stale).toMatchObject({ status: 422, body: { error: 'stale_signal' } });
    const unknown = await send(u.id, alert(u.secret, { symbol: 'NOPEUSDT' }));
    expect(unknown).toMatchObject({ status: 422, body: { error: 'unknown_symbol' } });

    // A signed body needs no secret in it, but its time, recent: a captured one cannot be replayed later.
    const body = JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: nextId('sig'), timestamp: new Date().toISOString() });
    expect(await send(u.id, body, { headers: { 'x-signature': signAlert(body, u.signingKey) } })).toMatchObject({ status: 200 });
    expect(await send(u.id, body, { headers: { 'x-signature': signAlert(body, 'other') } })).toMatchObject({ status: 401 });
    for (const time of [undefined, new Date(Date.now() - 5 * 60_000).toISOString(), new Date(Date.now() + 5 * 60_000).toISOString()]) {
      const replayable = JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: nextId('sig'), ...(time ? { timestamp: time } : {}) });
      expect(await send(u.id, replayable, { headers: { 'x-signature': signAlert(replayable, u.signingKey) } })).toMatchObject({ status: 422, body: { error: 'stale_signal' } });
    }

    // Refusals are recorded, except unauthenticated ones (anyone can send those).
    const { signals } = await trading.listSignals({ userId: u.id, pageSize: 100 });
    expect(signals.filter((s) => s.status === 'rejected').map((s) => s.rejectCode).sort()).toEqual(
      ['malformed_alert', 'stale_signal', 'stale_signal', 'stale_signal', 'stale_signal', 'unknown_symbol', 'unresolved_placeholder'].sort(),
    );
  });

  it('X-Signature needs the signing key: nothing the database holds signs', async () => {
    const u = await proTrader();
    const signed = () => JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: nextId('sig'), timestamp: new Date().toISOString() });
    const db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
    try {
      const stored = await db.collection('webhook_secrets').findOne({ _id: u.id as unknown as never });
      expect(stored).toBeTruthy();
      const storedStrings = Object.values(stored!).filter((v): v is string => typeof v === 'string' && v !== u.id);
      // The SHA-256 of the secret keyed X-Signature before signing keys; it is what the database keeps.
      expect(storedStrings).toContain(createHash('sha256').update(u.secret).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(u.signingKey);
      expect(JSON.stringify(stored)).not.toContain(u.secret);
      for (const key of [...storedStrings, u.secret]) {
        const body = signed();
        expect(await send(u.id, body, { headers: { 'x-signature': signAlert(body, key) } })).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
      }
    } finally {
      await db.close();
    }
    const body = signed();
    expect(await send(u.id, body, { headers: { 'x-signature': signAlert(body, u.signingKey) } })).toMatchObject({ status: 200 });
  });

  it('after a rotation, the old and the new secret and signing key all work for the overlap, then only the new ones', async () => {
    const u = await proTrader();
    const signed = () => JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: nextId('sig'), timestamp: new Date().toISOString() });
    const bySignature = async (key: string) => {
      const body = signed();
      return (await send(u.id, body, { headers: { 'x-signature': signAlert(body, key) } })).status;
    };
    const bySecret = async (secret: string) => (await send(u.id, alert(secret))).status;

    const before = Date.now();
    const next = await trading.rotateWebhookSecret({ userId: u.id });
    secrets.push(next.secret, next.signingKey);
    expect(next.secret).not.toBe(u.secret);
    expect(next.signingKey).not.toBe(u.signingKey);
    expect(next.signingKey).not.toBe(next.secret);
    const until = timestampDate(next.previousValidUntil!).getTime();
    expect(until).toBeGreaterThanOrEqual(before + OVERLAP_SECONDS * 1000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + OVERLAP_SECONDS * 1000 + 1000);

    // During the overlap: both pairs (a client switches without dropping alerts).
    expect(await bySignature(u.signingKey)).toBe(200);
    expect(await bySignature(next.signingKey)).toBe(200);
    expect(await bySecret(u.secret)).toBe(200);
    expect(await bySecret(next.secret)).toBe(200);
    expect(Date.now()).toBeLessThan(until); // else the checks above proved nothing about the overlap

    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 300));
    expect(await bySignature(u.signingKey)).toBe(401);
    expect(await bySecret(u.secret)).toBe(401);
    expect(await bySignature(next.signingKey)).toBe(200);
    expect(await bySecret(next.secret)).toBe(200);

    // Rotating twice within an overlap ends the oldest pair at once.
    const third = await trading.rotateWebhookSecret({ userId: u.id });
    const fourth = await trading.rotateWebhookSecret({ userId: u.id });
    expect(await bySignature(next.signingKey)).toBe(401);
    expect(await bySignature(third.signingKey)).toBe(200);
    expect(await bySignature(fourth.signingKey)).toBe(200);
  });

  it('refuses users whose plan has no auto_trading', async () => {
    const user = await billing.createUser({ email: `${nextId('free')}@example.com` });
    const { secret } = await trading.rotateWebhookSecret({ userId: user.id });
    expect(await send(user.id, alert(secret))).toMatchObject({ status: 422, body: { error: 'not_entitled' } });
  });

  it('applies every risk rule and says which one refused', async () => {
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['trading_disabled', { tradingEnabled: false }, 0],
      ['symbol_not_allowed', { allowedSymbols: ['ETH/USDT'] }, 0],
      ['max_order_notional', { maxOrderNotional: 50 }, 0],
      ['max_leverage', { maxLeverage: 2 }, 0],
      ['max_orders_per_day', { maxOrdersPerDay: 1 }, 1],
      ['max_orders_per_minute', { maxOrdersPerMinute: 1 }, 1],
      ['cooldown', { cooldownSeconds: 3600 }, 1],
      ['max_position_notional', { maxPositionNotional: 150 }, 1],
    ];
    for (const [rule, profile, okFirst] of cases) {
      const u = await proTrader(profile);
      for (let i = 0; i < okFirst; i++) expect((await send(u.id, alert(u.secret))).status).toBe(200);
      const res = await send(u.id, alert(u.secret, { leverage: 3 }));
      expect({ rule, status: res.status, body: res.body }).toMatchObject({ rule, status: 422, body: { error: 'risk_rejected', rule } });
    }
    // max_open_positions: BTC open, ETH refused.
    const u = await proTrader({ maxOpenPositions: 1 });
    expect((await send(u.id, alert(u.secret))).status).toBe(200);
    expect(await send(u.id, alert(u.secret, { symbol: 'ETHUSDT', price: 2000 }))).toMatchObject({ status: 422, body: { rule: 'max_open_positions' } });
  });

  it('halts trading for the day once the realised loss reaches the limit, but still lets positions close', async () => {
    const u = await proTrader({ dailyLossLimit: 5, sizingMode: 'fixed_quote', sizingValue: 1000 });
    expect((await send(u.id, alert(u.secret, { price: 37000 }))).status).toBe(200);
    // Closing 1000 USDT of BTC 10% lower realises about -100.
    expect((await send(u.id, alert(u.secret, { action: 'close', price: 33300 }))).status).toBe(200);
    const res = await send(u.id, alert(u.secret));
    expect(res).toMatchObject({ status: 422, body: { error: 'risk_rejected', rule: 'daily_loss_limit' } });
    expect((await trading.getPositions({ userId: u.id })).positions).toEqual([]);
  });

  it('sizes by risk percent with a stop, and flattens a swap position with a reduce-only close', async () => {
    const u = await proTrader({ sizingMode: 'risk_percent', sizingValue: 1, maxOrderNotional: 1_000_000, maxPositionNotional: 1_000_000 });
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const open = await send(u.id, alert(u.secret, { symbol: 'OKX:BTCUSDT.P', price: 37000, stop_loss: 36000 }));
    expect(open.status).toBe(200);
    const { positions } = await trading.getPositions({ userId: u.id });
    expect(positions).toHaveLength(1);
    // equity ≈ 100 000 USDT × 1% ÷ 1000 USDT stop distance ≈ 1 BTC = 100 contracts of 0.01
    expect(positions[0]!.symbol).toBe('BTC/USDT:USDT');
    expect(positions[0]!.amount).toBeGreaterThan(0.9);
    const close = await send(u.id, alert(u.secret, { symbol: 'BTCUSDT.P', action: 'close_long' }));
    expect(close.status).toBe(200);
    expect((await trading.getPositions({ userId: u.id })).positions).toEqual([]);
    const closing = h.okx.requests.filter((r) => r.path.startsWith('/api/v5/trade/') && r.method === 'POST' && JSON.stringify(r.body).includes('"reduceOnly":true'));
    expect(closing.length).toBeGreaterThanOrEqual(1);
    expect(await send(u.id, alert(u.secret, { symbol: 'BTCUSDT.P', action: 'close' }))).toMatchObject({ status: 422, body: { error: 'no_position' } });
  });

  it('closes a short before buying when the profile says so, with a reduce-only order first', async () => {
    const u = await proTrader({ sizingMode: 'fixed_base', sizingValue: 0.05, maxPositionNotional: 1_000_000 });
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    expect((await send(u.id, alert(u.secret, { symbol: 'BTCUSDT.P', action: 'sell' }))).status).toBe(200);
    expect((await trading.getPositions({ userId: u.id })).positions).toMatchObject([{ symbol: 'BTC/USDT:USDT', side: 'short', amount: 0.05 }]);
    expect((await send(u.id, alert(u.secret, { symbol: 'BTCUSDT.P', action: 'buy' }))).status).toBe(200);
    const trades = (await trading.listTrades({ userId: u.id })).trades.reverse();
    expect(trades.map((t) => [t.side, t.reduceOnly, t.amount, t.status])).toEqual([
      ['sell', false, 5, 'filled'],
      ['buy', true, 5, 'filled'],
      ['buy', false, 5, 'filled'],
    ]);
    expect((await trading.getPositions({ userId: u.id })).positions).toMatchObject([{ side: 'long', amount: 0.05 }]);
  });

  it('runs the commands of a text message in order, each once, and reads other tools\' dialects', async () => {
    const u = await proTrader({ sizingMode: 'fixed_base', sizingValue: 0.05, maxPositionNotional: 1_000_000 });
    // TradersPost's names, sent as TradingView sends a message (text/plain).
    const open = JSON.stringify({ ticker: 'BINANCE:BTCUSDT.P', action: 'buy', sentiment: 'long', passphrase: u.secret, alertId: nextId('a') });
    expect(await send(u.id, open, { contentType: 'text/plain' })).toMatchObject({ status: 200, body: { status: 'success' } });
    expect((await trading.getPositions({ userId: u.id })).positions).toMatchObject([{ symbol: 'BTC/USDT:USDT', side: 'long', amount: 0.05 }]);

    // A two-line flip (TradeWzrd style) with the secret on a line of its own: close the long, then go short.
    const flip = `CLOSE, BTCUSDT.P, SIDE=BUY\nSELL, BTCUSDT.P\nsecret=${u.secret}\n`;
    expect(await send(u.id, flip, { contentType: 'text/plain' })).toMatchObject({ status: 200, body: { status: 'success' } });
    expect((await trading.getPositions({ userId: u.id })).positions).toMatchObject([{ side: 'short', amount: 0.05 }]);
    const trades = async () => (await trading.listTrades({ userId: u.id })).trades.reverse().map((t) => [t.side, t.reduceOnly]);
    const after = await trades();
    expect(after).toEqual([
      ['buy', false],
      ['sell', true],
      ['sell', false],
    ]);
    // TradingView resending the same message: both commands are repeats, nothing is traded again.
    expect(await send(u.id, flip, { contentType: 'text/plain' })).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await trades()).toEqual(after);
    const { signals } = await trading.listSignals({ userId: u.id, pageSize: 100 });
    expect(signals.map((x) => x.status).sort()).toEqual(['duplicate', 'duplicate', 'executed', 'executed', 'executed']);

    // A message for a dialect we understand but cannot carry out, and one without a symbol.
    const ladder = JSON.stringify({ secret: u.secret, tv_instrument: 'BTCUSDT', action: 'enter_long', take_profit: { enabled: true, steps: [{ price_percent: 1 }, { price_percent: 2 }] } });
    expect(await send(u.id, ladder, { contentType: 'text/plain' })).toMatchObject({ status: 422, body: { error: 'unsupported_alert', message: expect.stringContaining('take_profit.steps') } });
    expect(await send(u.id, `${u.secret},buy,BTCUSDT,risk=lots`, { contentType: 'text/plain' })).toMatchObject({
      status: 400, body: { error: 'malformed_alert', message: expect.stringContaining('"risk"') },
    });
    expect(await send(u.id, JSON.stringify({ side: 'close', secret: u.secret }), { contentType: 'text/plain' })).toMatchObject({
      status: 400, body: { error: 'malformed_alert', message: 'field "symbol" is required' },
    });
  });

  it('follows a resting limit order until OKX fills it', async () => {
    const u = await proTrader();
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    h.okx.setPrice('ETH-USDT', 2_000);
    const res = await send(u.id, alert(u.secret, { symbol: 'ETHUSDT', order_type: 'limit', limit_price: 1900, price: 1900 }));
    expect(res).toMatchObject({ status: 200, body: { status: 'success' } });
    expect((await trading.listTrades({ userId: u.id })).trades[0]).toMatchObject({ status: 'submitted' });
    h.okx.setPrice('ETH-USDT', 1_890); // crosses the limit: OKX fills it at 1900
    const filled = await until('the follow-up to see the fill', async () => {
      const [t] = (await trading.listTrades({ userId: u.id })).trades;
      return t?.status === 'filled' ? t : undefined;
    });
    expect(filled.price).toBe(1900);
    expect((await trading.getPositions({ userId: u.id })).positions).toMatchObject([{ symbol: 'ETH/USDT', side: 'long' }]);
  });

  it('answers 422 exchange_rejected when OKX refuses the order (51008 insufficient balance)', async () => {
    const u = await proTrader({ sizingMode: 'fixed_quote', sizingValue: 9_000, maxOrderNotional: 1_000_000, maxPositionNotional: 1_000_000 });
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const cash = h.okx.balance('USDT').cash;
    h.okx.setBalance('USDT', 10);
    try {
      const res = await send(u.id, alert(u.secret));
      expect(res).toMatchObject({ status: 422, body: { error: 'exchange_rejected', message: expect.stringMatching(/insufficient/i) } });
      expect((await trading.listTrades({ userId: u.id })).trades[0]).toMatchObject({ status: 'rejected' });
      expect((await trading.listSignals({ userId: u.id })).signals[0]).toMatchObject({ status: 'failed', rejectCode: 'exchange_rejected' });
    } finally {
      h.okx.setBalance('USDT', cash);
    }
  });

  it('enforces the source-IP allow-list, and a per-user limit that junk sent with the id cannot use up', async () => {
    const u = await proTrader();
    const blocked = await postAlert(gw, u.id, alert(u.secret), { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(blocked).toMatchObject({ status: 403, body: { error: 'ip_not_allowed' } });
    // 70 alerts with a wrong secret against 30 a minute: refused, but not counted.
    const junk: number[] = [];
    for (let i = 0; i < 70; i++) junk.push((await send(u.id, alert('wrong'))).status);
    expect(junk.every((s) => s === 401)).toBe(true);
    // The trader's own alerts still go through, until they pass the limit themselves
    // (even split by a minute boundary, 70 overflow one window).
    const own = alert(u.secret);
    const mine: number[] = [];
    for (let i = 0; i < 70; i++) mine.push((await send(u.id, own)).status);
    expect(mine[0]).toBe(200);
    expect(mine).toContain(429);
    expect(mine.every((s) => s === 200 || s === 429)).toBe(true);
    const metrics = await (await fetch(`${h.stack.gatewayOpsUrl}/metrics`)).text();
    expect(metrics).toMatch(/webhooks_received_total\{provider="tradingview",event_type="alert",outcome="rate_limited"\} [1-9]/);
    expect(metrics).toMatch(/webhooks_received_total\{provider="tradingview",event_type="alert",outcome="ip_not_allowed"\} [1-9]/);
  });

  it("does not limit TradingView's own addresses per address: every trader's alerts come from them", async () => {
    const traders = [await proTrader(), await proTrader(), await proTrader()];
    const statuses: number[] = [];
    // More than TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE from one TradingView address, spread over users.
    for (let i = 0; i < 45; i++) {
      const t = traders[i % traders.length]!;
      statuses.push((await send(t.id, alert(t.secret, { price: String(37_000 + i) }))).status);
    }
    expect(statuses.filter((s) => s === 429)).toEqual([]);
  });

  it('publishes order events with the trace context', async () => {
    const nc = await connect({ servers: h.stack.natsUrl });
    const seen: Msg[] = [];
    const sub = nc.subscribe('trading.>');
    void (async () => {
      for await (const m of sub) seen.push(m);
    })();
    try {
      const u = await proTrader();
      const res = await send(u.id, alert(u.secret));
      expect(res.status).toBe(200);
      await send(u.id, alert('bad'));
      await until('events', async () => (seen.filter((m) => new TextDecoder().decode(m.data).includes(u.id)).length >= 3 ? true : undefined));
      const mine = seen.filter((m) => new TextDecoder().decode(m.data).includes(u.id));
      expect(mine.map((m) => m.subject).sort()).toEqual(['trading.order.filled', 'trading.order.submitted', 'trading.signal.rejected']);
      for (const m of mine) expect(m.headers?.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    } finally {
      await nc.close();
    }
  });

  it('never logs a TradingView secret or signing key, or an exchange credential', () => {
    expect(secrets.length).toBeGreaterThan(5);
    const leaked = [...secrets, TEST_SECRETS.okx.secret, TEST_SECRETS.okx.passphrase, TEST_SECRETS.exchangeKeysMasterKey].filter((s) =>
      h.logs.some((line) => line.includes(s)),
    );
    expect(leaked).toEqual([]);
  });
});
