import { createProTrader, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { postAlert, tradingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// What an alert asks of its order reaches OKX: leverage through set-leverage in the
// profile's margin mode, stop-loss and take-profit as the order's attached algo orders.
// The fake OKX checks the paths and fields as OKX documents them. In paper mode, a later
// price crossing the stop or the target closes the position.

const XFF = { 'x-forwarded-for': '52.89.214.238' }; // one of TradingView's addresses

describe("orders on OKX carry the alert's leverage, stop-loss and take-profit", () => {
  let h: BillingHarness;
  let trading: ReturnType<typeof tradingClient>;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { gateway: { TRUST_PROXY: 'loopback' }, trading: { PAPER_TRIGGER_INTERVAL_MS: '200' } } });
    trading = tradingClient(h.stack);
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT-SWAP', 37_000);
    h.okx.setPrice('BTC-USDT', 37_000);
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function demoTrader(profile: Record<string, unknown> = {}) {
    const u = await createProTrader(h.stack, 'okx-orders');
    await trading.setRiskProfile({
      userId: u.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.05, closeOppositeFirst: true, maxPositionNotional: 1_000_000, ...profile },
    });
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    return u;
  }
  const send = (u: { id: string; secret: string }, extra: Record<string, unknown>) =>
    postAlert(h.stack.gatewayUrl, u.id, { symbol: 'BTCUSDT.P', action: 'buy', price: 37000, secret: u.secret, id: nextId('ord'), ...extra }, { headers: XFF });
  /** The POSTs the fake received from `from` on; ccxt places an order through batch-orders, one entry. */
  const okxCalls = (from: number) =>
    h.okx.requests
      .slice(from)
      .filter((r) => r.method === 'POST')
      .map((r) => ({ path: r.path, body: Array.isArray(r.body) ? (r.body[0] as unknown) : r.body }));

  it('sets the leverage in the margin mode of the profile, then places the order with its stop-loss and take-profit attached', async () => {
    const u = await demoTrader({ marginMode: 'isolated', maxLeverage: 10 });
    const from = h.okx.requests.length;
    const res = await send(u, { leverage: 5, stop_loss: 36000, take_profit: 39000 });
    expect(res).toMatchObject({ status: 200 });

    const calls = okxCalls(from);
    expect(calls.map((c) => c.path)).toEqual(['/api/v5/account/set-leverage', '/api/v5/trade/batch-orders']);
    expect(calls[0]!.body).toMatchObject({ instId: 'BTC-USDT-SWAP', mgnMode: 'isolated' });
    expect(Number((calls[0]!.body as { lever: unknown }).lever)).toBe(5);
    expect(calls[1]!.body).toMatchObject({
      instId: 'BTC-USDT-SWAP',
      tdMode: 'isolated',
      side: 'buy',
      attachAlgoOrds: [{ slTriggerPx: '36000', slOrdPx: '-1', tpTriggerPx: '39000', tpOrdPx: '-1' }],
    });
    expect(h.okx.leverage.get('BTC-USDT-SWAP')).toBe(5);
    const order = h.okx.orders.at(-1)!;
    expect(order).toMatchObject({ state: 'filled', lever: 5, attachAlgoOrds: [{ slTriggerPx: 36000, slOrdPx: -1, tpTriggerPx: 39000, tpOrdPx: -1 }] });

    // Closing sends neither: the attached orders go with the position OKX closes.
    const before = h.okx.requests.length;
    expect((await send(u, { action: 'close' })).status).toBe(200);
    const closing = okxCalls(before);
    expect(closing.map((c) => c.path)).toEqual(['/api/v5/trade/batch-orders']);
    expect(closing[0]!.body).toMatchObject({ reduceOnly: true, tdMode: 'isolated' });
    expect(closing[0]!.body).not.toHaveProperty('attachAlgoOrds');
  });

  it('uses cross margin by default and sends no leverage the alert did not ask for', async () => {
    const u = await demoTrader();
    expect((await trading.getRiskProfile({ userId: u.id })).marginMode).toBe('cross');
    const from = h.okx.requests.length;
    expect((await send(u, {})).status).toBe(200);
    const calls = okxCalls(from);
    expect(calls.map((c) => c.path)).toEqual(['/api/v5/trade/batch-orders']);
    expect(calls[0]!.body).toMatchObject({ tdMode: 'cross' });
    expect(calls[0]!.body).not.toHaveProperty('attachAlgoOrds');
  });

  it("answers 422 with OKX's reason when OKX refuses the leverage, and places no order", async () => {
    const u = await demoTrader();
    const from = h.okx.requests.length;
    // Within the alert's and the profile's limits, beyond what the fake's BTC swap allows.
    const res = await send(u, { leverage: 125 });
    expect(res).toMatchObject({ status: 422, body: { error: 'exchange_rejected' } });
    expect(String((res.body as { message?: string }).message)).toMatch(/leverage 125x/);
    expect(okxCalls(from).map((c) => c.path)).toEqual(['/api/v5/account/set-leverage']);
  });

  it('refuses a margin mode OKX does not have, naming the field', async () => {
    const u = await createProTrader(h.stack, 'okx-orders');
    await expect(
      trading.setRiskProfile({ userId: u.id, profile: { tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.05, marginMode: 'portfolio' } }),
    ).rejects.toThrow(/marginMode/);
  });

  describe('paper mode', () => {
    async function paperTrader() {
      const u = await createProTrader(h.stack, 'paper-brackets');
      await trading.setRiskProfile({
        userId: u.id,
        profile: { tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.1, closeOppositeFirst: true, maxPositionNotional: 1_000_000 },
      });
      return u;
    }
    const paperTrades = async (userId: string) => (await trading.listTrades({ userId })).trades.reverse();

    it('closes a long at its take-profit and a short at its stop-loss once the last price crosses them', async () => {
      h.okx.setPrice('BTC-USDT-SWAP', 37_000);
      h.okx.setPrice('ETH-USDT-SWAP', 2_000);
      const u = await paperTrader();
      expect((await send(u, { symbol: 'BTCUSDT.P', action: 'buy', price: 37000, stop_loss: 36000, take_profit: 39000 })).status).toBe(200);
      expect((await send(u, { symbol: 'ETHUSDT.P', action: 'sell', price: 2000, stop_loss: 2100, take_profit: 1800 })).status).toBe(200);
      expect((await trading.getPositions({ userId: u.id })).positions).toHaveLength(2);

      // Between the triggers nothing happens.
      h.okx.setPrice('BTC-USDT-SWAP', 38_500);
      h.okx.setPrice('ETH-USDT-SWAP', 2_050);
      await new Promise((r) => setTimeout(r, 800));
      expect((await trading.getPositions({ userId: u.id })).positions).toHaveLength(2);

      h.okx.setPrice('BTC-USDT-SWAP', 39_200);
      h.okx.setPrice('ETH-USDT-SWAP', 2_150);
      await until('both paper positions to be closed', async () => ((await trading.getPositions({ userId: u.id })).positions.length === 0 ? true : undefined), 10_000);
      const trades = await paperTrades(u.id);
      const row = (t: (typeof trades)[number]) => [t.symbol, t.side, t.reduceOnly, t.status, t.price];
      expect(trades.slice(0, 2).map(row)).toEqual([
        ['BTC/USDT:USDT', 'buy', false, 'filled', 37_000],
        ['ETH/USDT:USDT', 'sell', false, 'filled', 2_000],
      ]);
      // Closed at the price that crossed, in one sweep (either first).
      expect(trades.slice(2).map(row)).toEqual(
        expect.arrayContaining([
          ['BTC/USDT:USDT', 'sell', true, 'filled', 39_200],
          ['ETH/USDT:USDT', 'buy', true, 'filled', 2_150],
        ]),
      );
      const closes = trades.filter((t) => t.reduceOnly);
      expect(closes.find((t) => t.symbol === 'BTC/USDT:USDT')!.realizedPnl).toBeGreaterThan(0);
      expect(closes.find((t) => t.symbol === 'ETH/USDT:USDT')!.realizedPnl).toBeLessThan(0);

      // Fired once: later sweeps find nothing to close.
      await new Promise((r) => setTimeout(r, 800));
      expect(await paperTrades(u.id)).toHaveLength(4);
    });

    it('forgets the triggers of a position a later signal closed', async () => {
      h.okx.setPrice('BTC-USDT-SWAP', 37_000);
      const u = await paperTrader();
      expect((await send(u, { symbol: 'BTCUSDT.P', action: 'buy', price: 37000, take_profit: 38000 })).status).toBe(200);
      expect((await send(u, { symbol: 'BTCUSDT.P', action: 'close', price: 37000 })).status).toBe(200);
      h.okx.setPrice('BTC-USDT-SWAP', 38_500);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await paperTrades(u.id)).map((t) => t.reduceOnly)).toEqual([false, true]);
      expect((await trading.getPositions({ userId: u.id })).positions).toEqual([]);
    });
  });
});
