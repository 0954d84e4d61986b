import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import type { RiskOverridesSchema, StrategyDefaultsSchema } from '@tbot/common';
import { createProTrader, signAlert, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { postAlert, request, tradingClient, type Answer } from './support/clients';
import { nextId } from './support/stripe-events';

// Strategies end to end: gateway → trading (strategy lookup, its secret, defaults, risk
// overrides) → paper book, next to the per-user URL from before strategies.

const XFF = { 'x-forwarded-for': '52.89.214.238' }; // one of TradingView's addresses
const OVERLAP_SECONDS = 6;
const MAX_STRATEGIES = 4;

interface StrategyInit {
  name?: string;
  defaults?: MessageInitShape<typeof StrategyDefaultsSchema>;
  riskOverrides?: MessageInitShape<typeof RiskOverridesSchema>;
}

describe('TradingView strategies', () => {
  let h: BillingHarness;
  let gw: string;
  let trading: ReturnType<typeof tradingClient>;
  const secrets: string[] = [];

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: { TRADINGVIEW_IP_ALLOWLIST: 'true', TRUST_PROXY: 'loopback' },
        trading: { WEBHOOK_SECRET_OVERLAP_SECONDS: String(OVERLAP_SECONDS), MAX_STRATEGIES_PER_USER: String(MAX_STRATEGIES) },
      },
    });
    gw = h.stack.gatewayUrl;
    trading = tradingClient(h.stack);
    h.okx.setPrice('BTC-USDT', 37_000);
    h.okx.setPrice('ETH-USDT', 2_000);
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function proTrader() {
    const user = await createProTrader(h.stack, 'stg');
    secrets.push(user.secret, user.signingKey);
    await trading.setRiskProfile({
      userId: user.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, closeOppositeFirst: true, maxOrderNotional: 10_000, maxPositionNotional: 100_000 },
    });
    return user;
  }

  async function createStrategy(userId: string, init: StrategyInit = {}) {
    const r = await trading.createStrategy({ userId, name: nextId('strategy'), ...init });
    secrets.push(r.secret, r.signingKey);
    return { id: r.strategy!.id, secret: r.secret, signingKey: r.signingKey, strategy: r.strategy! };
  }

  /** POSTs to a strategy's own URL, as TradingView does. */
  const toStrategy = async (strategyId: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    request(`${gw}/api/tradingview/webhook/${strategyId}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', ...XFF, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const toUser = (userId: string, body: unknown) => postAlert(gw, userId, body, { headers: XFF });
  const rpcCode = async (p: Promise<unknown>): Promise<Code | 'ok'> => p.then(() => 'ok' as const, (err: unknown) => ConnectError.from(err).code);

  it('a message without a symbol trades the strategy’s symbol (paper), and signal and trade name the strategy', async () => {
    const u = await proTrader();
    const s = await createStrategy(u.id, { defaults: { symbol: 'ETHUSDT', quantity: 0.5, sizeType: 'base' } });
    expect(s.id).toMatch(/^stg_[0-9a-f]{32}$/);
    expect(s.strategy).toMatchObject({ userId: u.id, webhookPath: `/api/tradingview/webhook/${s.id}`, defaults: { symbol: 'ETHUSDT', quantity: 0.5, sizeType: 'base' } });

    const res = await toStrategy(s.id, { action: 'buy', price: 2000, secret: s.secret, id: nextId('ord') });
    expect(res).toMatchObject({ status: 200, body: { status: 'success', trade_id: expect.stringMatching(/^trd_/) } });
    const [trade] = (await trading.listTrades({ userId: u.id })).trades;
    // The strategy's quantity, although the profile does not take alert quantities: it is the user's own setting.
    expect(trade).toMatchObject({ symbol: 'ETH/USDT', side: 'buy', mode: 'paper', status: 'filled', amount: 0.5, strategyId: s.id });
    const [signal] = (await trading.listSignals({ userId: u.id })).signals;
    expect(signal).toMatchObject({ status: 'executed', symbol: 'ETHUSDT', strategyId: s.id });
    expect(h.okx.orders).toHaveLength(0);

    // Without a symbol anywhere: refused, naming the field.
    const bare = await createStrategy(u.id);
    expect(await toStrategy(bare.id, { action: 'buy', secret: bare.secret })).toMatchObject({
      status: 400,
      body: { error: 'malformed_alert', message: expect.stringContaining('"symbol" is required') },
    });
  });

  it('two strategies of one user keep separate secrets, signing keys, defaults and signals', async () => {
    const u = await proTrader();
    const a = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' } });
    const b = await createStrategy(u.id, { defaults: { symbol: 'ETHUSDT', direction: 'long_only' } });
    expect(a.secret).not.toBe(b.secret);
    expect(a.signingKey).not.toBe(b.signingKey);

    // Each secret and signing key opens its own URL only; the user's own secret opens neither.
    expect(await toStrategy(b.id, { action: 'buy', price: 2000, secret: a.secret })).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    expect(await toStrategy(a.id, { price: 37000, secret: b.secret })).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    expect(await toStrategy(a.id, { price: 37000, secret: u.secret })).toMatchObject({ status: 401 });
    const signed = JSON.stringify({ action: 'buy', price: 2000, timestamp: new Date().toISOString() });
    expect(await toStrategy(b.id, signed, { 'x-signature': signAlert(signed, a.signingKey) })).toMatchObject({ status: 401 });
    expect(await toStrategy(b.id, signed, { 'x-signature': signAlert(signed, b.signingKey) })).toMatchObject({ status: 200 });

    // One body, sent to both: each strategy's defaults, and two signals (not a duplicate).
    const id = nextId('same');
    const ra = await toStrategy(a.id, JSON.stringify({ price: 37000, id, secret: a.secret }));
    expect(ra).toMatchObject({ status: 200, body: { status: 'success' } });
    // B's secret in the same body shape, same alert id: a separate signal for B.
    const rb = await toStrategy(b.id, JSON.stringify({ action: 'buy', price: 2000, id, secret: b.secret }));
    expect(rb).toMatchObject({ status: 200, body: { status: 'success' } });
    expect(rb.body.trade_id).not.toBe(ra.body.trade_id);
    // TradingView's resend to A stays one signal.
    expect(await toStrategy(a.id, JSON.stringify({ price: 37000, id, secret: a.secret }))).toMatchObject({
      status: 200,
      body: { status: 'duplicate', trade_id: ra.body.trade_id },
    });

    // B is long only: its sell closes the long instead of opening a short.
    expect(await toStrategy(b.id, { action: 'sell', price: 2000, secret: b.secret })).toMatchObject({ status: 200 });
    const trades = (await trading.listTrades({ userId: u.id })).trades;
    expect(trades.map((t) => [t.strategyId, t.symbol, t.side, t.reduceOnly])).toEqual([
      [b.id, 'ETH/USDT', 'sell', true],
      [b.id, 'ETH/USDT', 'buy', false],
      [a.id, 'BTC/USDT', 'buy', false],
      [b.id, 'ETH/USDT', 'buy', false],
    ]);
    expect((await trading.getPositions({ userId: u.id })).positions.map((p) => p.symbol)).toEqual(['BTC/USDT']);
  });

  it('applies a strategy’s risk overrides to its signals only', async () => {
    const u = await proTrader();
    const small = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' }, riskOverrides: { maxOrderNotional: 50 } });
    const off = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' }, riskOverrides: { tradingEnabled: false } });
    const sized = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' }, riskOverrides: { sizingMode: 'fixed_base', sizingValue: 0.002 } });
    expect(await toStrategy(small.id, { price: 37000, secret: small.secret })).toMatchObject({ status: 422, body: { error: 'risk_rejected', rule: 'max_order_notional' } });
    expect(await toStrategy(off.id, { price: 37000, secret: off.secret })).toMatchObject({ status: 422, body: { error: 'risk_rejected', rule: 'trading_disabled' } });
    expect(await toStrategy(sized.id, { price: 37000, secret: sized.secret })).toMatchObject({ status: 200 });
    // The user's own URL keeps the profile (fixed_quote 100).
    expect(await toUser(u.id, { symbol: 'BTCUSDT', action: 'buy', price: 37000, secret: u.secret, id: nextId('ord') })).toMatchObject({ status: 200 });
    const [own, bySized] = (await trading.listTrades({ userId: u.id })).trades;
    expect(bySized).toMatchObject({ strategyId: sized.id, amount: 0.002 });
    expect(own).toMatchObject({ strategyId: '' });
    expect(own!.amount).toBeCloseTo(100 / 37000, 8);
  });

  it('the per-user URL still works with the user’s own secret, as the default strategy', async () => {
    const u = await proTrader();
    await createStrategy(u.id, { defaults: { symbol: 'ETHUSDT' } });
    const body = { symbol: 'BTCUSDT', action: 'buy', price: 37000, secret: u.secret, id: nextId('ord') };
    expect(await toUser(u.id, body)).toMatchObject({ status: 200, body: { status: 'success' } });
    expect(await postAlert(gw, u.id, { ...body, id: nextId('ord') }, { path: 'path', headers: XFF })).toMatchObject({ status: 200 });
    expect(await toUser(u.id, { ...body, id: nextId('ord'), symbol: undefined })).toMatchObject({ status: 400, body: { error: 'malformed_alert' } });
    expect((await trading.listSignals({ userId: u.id })).signals.map((s) => s.strategyId)).toEqual(['', '', '']);
  });

  it('refuses another user’s strategy: in every RPC, and on its URL with the other user’s secret', async () => {
    const owner = await proTrader();
    const other = await proTrader();
    const s = await createStrategy(owner.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' } });

    expect(await rpcCode(trading.updateStrategy({ userId: other.id, strategyId: s.id, name: 'mine now' }))).toBe(Code.NotFound);
    expect(await rpcCode(trading.rotateStrategySecret({ userId: other.id, strategyId: s.id }))).toBe(Code.NotFound);
    expect(await rpcCode(trading.deleteStrategy({ userId: other.id, strategyId: s.id }))).toBe(Code.NotFound);
    expect((await trading.listStrategies({ userId: other.id })).strategies).toEqual([]);
    expect((await trading.listStrategies({ userId: owner.id })).strategies.map((x) => x.id)).toEqual([s.id]);

    expect(await toStrategy(s.id, { price: 37000, secret: other.secret })).toMatchObject({ status: 401, body: { error: 'invalid_secret' } });
    // A caller naming both must name the owner.
    const r = await trading.submitSignal({ userId: other.id, strategyId: s.id, body: Buffer.from(JSON.stringify({ price: 37000, secret: s.secret })), waitMs: 2000 });
    expect(r.rejectCode).toBe('unknown_strategy');
    expect((await trading.listSignals({ userId: other.id })).signals).toEqual([]);
    expect((await trading.listTrades({ userId: owner.id })).trades).toEqual([]);
  });

  it('after a delete, the strategy’s URL answers 404 and malformed ids 400, with nothing recorded', async () => {
    const u = await proTrader();
    const s = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' } });
    expect(await toStrategy(s.id, { price: 37000, secret: s.secret })).toMatchObject({ status: 200 });
    await trading.deleteStrategy({ userId: u.id, strategyId: s.id });
    expect(await toStrategy(s.id, { price: 37000, secret: s.secret })).toMatchObject({ status: 404, body: { error: 'unknown_strategy' } });
    expect(await rpcCode(trading.deleteStrategy({ userId: u.id, strategyId: s.id }))).toBe(Code.NotFound);
    expect(await rpcCode(trading.rotateStrategySecret({ userId: u.id, strategyId: s.id }))).toBe(Code.NotFound);
    for (const bad of ['stg_123', `stg_${'Z'.repeat(32)}`, `${s.id}x`, 'stg_%2e%2e']) {
      expect(await toStrategy(bad, { price: 37000, secret: s.secret })).toMatchObject({ status: 400, body: { error: 'malformed_alert' } });
    }
    // The signal of the deleted strategy stays, naming it.
    expect((await trading.listSignals({ userId: u.id })).signals.map((x) => [x.strategyId, x.status])).toEqual([[s.id, 'executed']]);
  });

  it('after a strategy secret rotation, old and new both work for the overlap, then only the new', async () => {
    const u = await proTrader();
    const s = await createStrategy(u.id, { defaults: { symbol: 'BTCUSDT', action: 'buy' } });
    const bySecret = async (secret: string) => (await toStrategy(s.id, { price: 37000, secret, id: nextId('ord') })).status;
    const bySignature = async (key: string) => {
      const body = JSON.stringify({ price: 37000, id: nextId('sig'), timestamp: new Date().toISOString() });
      return (await toStrategy(s.id, body, { 'x-signature': signAlert(body, key) })).status;
    };
    const next = await trading.rotateStrategySecret({ userId: u.id, strategyId: s.id });
    secrets.push(next.secret, next.signingKey);
    const until = timestampDate(next.previousValidUntil!).getTime();
    expect(await bySecret(s.secret)).toBe(200);
    expect(await bySecret(next.secret)).toBe(200);
    expect(await bySignature(s.signingKey)).toBe(200);
    expect(await bySignature(next.signingKey)).toBe(200);
    expect(Date.now()).toBeLessThan(until); // else the checks above proved nothing about the overlap
    // The user's own secret is not touched by a strategy's rotation.
    expect(await toUser(u.id, { symbol: 'BTCUSDT', action: 'buy', price: 37000, secret: u.secret, id: nextId('ord') })).toMatchObject({ status: 200 });

    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 300));
    expect(await bySecret(s.secret)).toBe(401);
    expect(await bySignature(s.signingKey)).toBe(401);
    expect(await bySecret(next.secret)).toBe(200);
    expect(await bySignature(next.signingKey)).toBe(200);
  });

  it('validates input (INVALID_ARGUMENT naming the field), names per user and the strategies-per-user limit', async () => {
    const u = await proTrader();
    const invalid = async (p: Promise<unknown>, field: string) => {
      const err = await p.then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect({ code: err?.code, message: err?.rawMessage }).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining(field) });
    };
    await invalid(trading.createStrategy({ userId: u.id, name: '' }), 'name');
    await invalid(trading.createStrategy({ userId: u.id, name: 'x', defaults: { symbol: 'BTC USDT' } }), 'defaults.symbol');
    await invalid(trading.createStrategy({ userId: u.id, name: 'x', defaults: { action: 'hodl' } }), 'defaults.action');
    await invalid(trading.createStrategy({ userId: u.id, name: 'x', riskOverrides: { maxLeverage: 1000 } }), 'risk_overrides');
    await invalid(trading.createStrategy({ userId: 'not-a-user', name: 'x' }), 'user_id');
    await invalid(trading.updateStrategy({ userId: u.id, strategyId: 'stg_nope', name: 'x' }), 'strategy_id');
    await invalid(trading.submitSignal({ userId: '', strategyId: '../x', body: Buffer.from('{}') }), 'strategy_id');

    const first = await createStrategy(u.id, { name: 'Momentum' });
    expect(await rpcCode(trading.createStrategy({ userId: u.id, name: 'Momentum' }))).toBe(Code.AlreadyExists);
    // Another user may use the same name.
    const other = await proTrader();
    expect(await rpcCode(createStrategy(other.id, { name: 'Momentum' }))).toBe('ok');

    const updated = await trading.updateStrategy({ userId: u.id, strategyId: first.id, name: 'Momentum 4h', defaults: { symbol: 'BTCUSDT', orderType: 'limit' } });
    expect(updated).toMatchObject({ name: 'Momentum 4h', defaults: { symbol: 'BTCUSDT', orderType: 'limit', direction: 'both' } });
    const kept = await trading.updateStrategy({ userId: u.id, strategyId: first.id, riskOverrides: { maxOrderNotional: 20 } });
    expect(kept).toMatchObject({ name: 'Momentum 4h', defaults: { symbol: 'BTCUSDT' }, riskOverrides: { maxOrderNotional: 20 } });

    for (let i = 1; i < MAX_STRATEGIES; i++) await createStrategy(u.id);
    expect(await rpcCode(trading.createStrategy({ userId: u.id, name: 'one too many' }))).toBe(Code.ResourceExhausted);
    expect((await trading.listStrategies({ userId: u.id })).strategies).toHaveLength(MAX_STRATEGIES);
  });

  it('never logs a strategy’s secret or signing key', () => {
    expect(secrets.length).toBeGreaterThan(10);
    expect(secrets.filter((s) => h.logs.some((line) => line.includes(s)))).toEqual([]);
  });
});
