import ccxt from 'ccxt';
import { FakeOkx } from '../src/testing/fake-okx';

/**
 * The fake is only worth something if the real ccxt client accepts it as OKX: these tests
 * drive an unmodified `ccxt.okx` against it and check both sides — what ccxt makes of the
 * answers and what the fake saw and stored.
 */

const CREDS = { apiKey: 'fake-okx-key', secret: 'fake-okx-secret', passphrase: 'Fake-pass-1' };

type Okx = InstanceType<typeof ccxt.okx>;

function client(fake: FakeOkx, extra: Record<string, unknown> = {}): Okx {
  return new ccxt.okx({
    ...fake.ccxtConfig(),
    // FUTURES and OPTION markets are not used, so spare the two extra instrument calls.
    options: { fetchMarkets: { types: ['spot', 'swap'] } },
    // ccxt's client-side throttle only slows the tests down; the fake has no rate limits.
    enableRateLimit: false,
    ...extra,
  });
}

describe('FakeOkx with the real ccxt okx client', () => {
  let fake: FakeOkx;
  let okx: Okx;

  beforeEach(async () => {
    fake = await new FakeOkx(CREDS).start();
    fake.setBalance('USDT', 10_000);
    okx = client(fake);
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('loads spot and swap markets, with a signed currencies call first', async () => {
    const markets = await okx.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'BTC/USDT:USDT', 'ETH/USDT', 'ETH/USDT:USDT']);
    const spot = markets['BTC/USDT']!;
    expect(spot).toMatchObject({ id: 'BTC-USDT', spot: true, active: true, base: 'BTC', quote: 'USDT' });
    expect(spot.precision).toEqual({ amount: 0.00000001, price: 0.1 });
    expect(spot.limits.amount?.min).toBe(0.00001);
    const swap = markets['BTC/USDT:USDT']!;
    expect(swap).toMatchObject({ id: 'BTC-USDT-SWAP', swap: true, linear: true, settle: 'USDT', contractSize: 0.01 });
    expect(swap.precision.amount).toBe(1);
    expect(markets['ETH/USDT:USDT']!.contractSize).toBe(0.1);

    // ccxt fetches currencies from a private endpoint whenever it has credentials.
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /api/v5/asset/currencies');
    expect(okx.currencies['USDT']?.networks).toHaveProperty('TRC20');
  });

  it('answers tickers and balances', async () => {
    fake.setPrice('BTC-USDT', 65_000.5);
    expect((await okx.fetchTicker('BTC/USDT')).last).toBe(65_000.5);
    const tickers = await okx.fetchTickers(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    expect(tickers['ETH/USDT:USDT']?.last).toBe(3_000);

    fake.setBalance('BTC', 0.5);
    const balance = await okx.fetchBalance();
    expect(balance['USDT']).toEqual({ free: 10_000, used: 0, total: 10_000 });
    expect(balance['BTC']).toEqual({ free: 0.5, used: 0, total: 0.5 });
  });

  it('fills a spot market buy and finds it by id and by clientOrderId', async () => {
    const placed = await okx.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'spotBuy1' });
    expect(placed.id).toMatch(/^\d{19}$/);
    expect(placed.clientOrderId).toBe('spotBuy1');
    // ccxt posts a one-element array to batch-orders by default.
    const post = fake.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/api/v5/trade/batch-orders');
    expect(post.body).toEqual([
      { instId: 'BTC-USDT', side: 'buy', ordType: 'market', sz: '0.01', tdMode: 'cash', tgtCcy: 'base_ccy', clOrdId: 'spotBuy1' },
    ]);

    const byId = await okx.fetchOrder(placed.id!, 'BTC/USDT');
    expect(byId).toMatchObject({ id: placed.id, status: 'closed', filled: 0.01, amount: 0.01, average: 60_000, cost: 600 });
    expect(byId.fee).toEqual({ cost: 0.00001, currency: 'BTC' });

    const byClientId = await okx.fetchOrder('', 'BTC/USDT', { clientOrderId: 'spotBuy1' });
    expect(byClientId.id).toBe(placed.id);
    expect(fake.requests.at(-1)?.query).toEqual({ instId: 'BTC-USDT', clOrdId: 'spotBuy1' });

    const balance = await okx.fetchBalance();
    expect(balance['USDT']?.total).toBe(9_400);
    expect(balance['BTC']?.total).toBe(0.00999);
    await expect(okx.fetchOrder('1234', 'BTC/USDT')).rejects.toThrow(ccxt.OrderNotFound);
  });

  it('maps OKX order rejections to ccxt exceptions', async () => {
    await okx.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'dup1' });
    // 51016 Duplicated clOrdId: okx.js maps it to InvalidOrder (not DuplicateOrderId).
    const dup = okx.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'dup1' });
    await expect(dup).rejects.toThrow(ccxt.InvalidOrder);
    await expect(dup).rejects.toThrow(/51016/);
    expect(fake.orders).toHaveLength(1);

    // 0.5 BTC at 60000 needs 30000 USDT; 51008 -> InsufficientFunds.
    const poor = okx.createOrder('BTC/USDT', 'market', 'buy', 0.5);
    await expect(poor).rejects.toThrow(ccxt.InsufficientFunds);
    await expect(poor).rejects.toThrow(/Insufficient USDT balance/);
    await expect(okx.createOrder('ETH/USDT', 'market', 'sell', 1)).rejects.toThrow(/Insufficient ETH balance/);

    // Below minSz -> 51020; a bad clOrdId -> 51000 (BadRequest).
    await expect(okx.createOrder('BTC/USDT', 'market', 'buy', 0.000001)).rejects.toThrow(/51020/);
    await expect(okx.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'no-dashes' })).rejects.toThrow(ccxt.BadRequest);
    expect(fake.orders).toHaveLength(1);
  });

  it('accepts the single-order endpoint and quote-sized market buys', async () => {
    const single = client(fake, { options: { fetchMarkets: { types: ['spot', 'swap'] }, createOrder: 'privatePostTradeOrder' } });
    await single.createMarketBuyOrderWithCost('BTC/USDT', 120, { clientOrderId: 'cost1' });
    const post = fake.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/api/v5/trade/order');
    expect(post.body).toMatchObject({ sz: '120', tgtCcy: 'quote_ccy' });
    const order = await single.fetchOrder('', 'BTC/USDT', { clientOrderId: 'cost1' });
    expect(order).toMatchObject({ status: 'closed', filled: 0.002, cost: 120, average: 60_000 });
  });

  it('rests limit orders until the price crosses them, and cancels them', async () => {
    const resting = await okx.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 59_000);
    const other = await okx.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000);
    expect((await okx.fetchOrder(resting.id!, 'BTC/USDT')).status).toBe('open');
    expect((await okx.fetchBalance())['USDT']).toMatchObject({ free: 8_910, total: 10_000 });

    fake.setPrice('BTC-USDT', 58_500);
    expect(await okx.fetchOrder(resting.id!, 'BTC/USDT')).toMatchObject({ status: 'closed', average: 59_000, filled: 0.01 });

    await okx.cancelOrder(other.id!, 'BTC/USDT');
    expect((await okx.fetchOrder(other.id!, 'BTC/USDT')).status).toBe('canceled');
    await expect(okx.cancelOrder(other.id!, 'BTC/USDT')).rejects.toThrow(ccxt.OrderNotFound);
  });

  it('opens a swap position and closes it with a reduce-only market order', async () => {
    await okx.setLeverage(5, 'BTC/USDT:USDT');
    expect(fake.leverage.get('BTC-USDT-SWAP')).toBe(5);

    await okx.createOrder('BTC/USDT:USDT', 'market', 'buy', 3, undefined, { clientOrderId: 'open1' });
    const open = await okx.fetchOrder('', 'BTC/USDT:USDT', { clientOrderId: 'open1' });
    expect(open).toMatchObject({ status: 'closed', filled: 3, average: 60_000 });
    let positions = await okx.fetchPositions(['BTC/USDT:USDT']);
    expect(positions).toHaveLength(1);
    expect(positions[0]).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'long', contracts: 3, contractSize: 0.01, entryPrice: 60_000, leverage: 5, marginMode: 'cross' });

    fake.setPrice('BTC-USDT-SWAP', 61_000);
    expect((await okx.fetchPositions())[0]?.unrealizedPnl).toBe(30); // 3 × 0.01 BTC × 1000

    // Reduce-only in the position's own direction is refused by OKX (51170, unmapped -> ExchangeError).
    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'buy', 1, undefined, { reduceOnly: true })).rejects.toThrow(/51170/);
    await okx.createOrder('BTC/USDT:USDT', 'market', 'sell', 3, undefined, { reduceOnly: true, clientOrderId: 'close1' });
    const closeReq = fake.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(closeReq.body).toEqual([expect.objectContaining({ reduceOnly: true, tdMode: 'cross', sz: '3' })]);
    positions = await okx.fetchPositions(['BTC/USDT:USDT']);
    expect(positions).toEqual([]);
    expect(fake.position('BTC-USDT-SWAP')).toBe(0);

    // PnL 30 minus taker fees 0.0005 × (1800 + 1830).
    expect(fake.balance('USDT').cash).toBeCloseTo(10_000 + 30 - 1.815, 9);
    // Nothing left to reduce: 51169 (unmapped -> ExchangeError).
    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'sell', 1, undefined, { reduceOnly: true })).rejects.toThrow(ccxt.ExchangeError);
  });

  it('attaches a stop-loss and take-profit to an order, on the right side of the last price only', async () => {
    // Last price of the swap is 60,000 here: a buy's target above it, its stop below.
    await okx.createOrder('BTC/USDT:USDT', 'market', 'buy', 1, undefined, {
      clientOrderId: 'tpsl1',
      stopLoss: { triggerPrice: 58_000, type: 'market' },
      takeProfit: { triggerPrice: 63_000, type: 'market' },
    });
    const sent = fake.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(sent.body).toEqual([expect.objectContaining({ attachAlgoOrds: [expect.objectContaining({ slTriggerPx: '58000', slOrdPx: '-1', tpTriggerPx: '63000', tpOrdPx: '-1' })] })]);
    const wire = await okx.fetchOrder('', 'BTC/USDT:USDT', { clientOrderId: 'tpsl1' });
    expect(wire.info.attachAlgoOrds).toEqual([expect.objectContaining({ slTriggerPx: '58000', tpTriggerPx: '63000', tpOrdPx: '-1' })]);

    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'buy', 1, undefined, { takeProfit: { triggerPrice: 59_000 } })).rejects.toThrow(/51279/);
    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'buy', 1, undefined, { stopLoss: { triggerPrice: 61_000 } })).rejects.toThrow(/51280/);
    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'sell', 1, undefined, { takeProfit: { triggerPrice: 61_000 } })).rejects.toThrow(/51277/);
    await expect(okx.createOrder('BTC/USDT:USDT', 'market', 'sell', 1, undefined, { stopLoss: { triggerPrice: 59_000 } })).rejects.toThrow(/51278/);
    // Each entry needs its order price (ccxt always sends one): sent by hand without it.
    await expect(okx.privatePostTradeOrder({ instId: 'BTC-USDT-SWAP', tdMode: 'cross', side: 'buy', ordType: 'market', sz: '1', attachAlgoOrds: [{ tpTriggerPx: '63000' }] })).rejects.toThrow(/tpOrdPx/);
  });

  it('rejects bad credentials with AuthenticationError and stale timestamps with InvalidNonce', async () => {
    const wrongSecret = client(fake, { secret: 'not-the-secret' });
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(/50113/);
    await expect(client(fake, { apiKey: 'other-key' }).fetchBalance()).rejects.toThrow(/50111/);
    await expect(client(fake, { password: 'wrong' }).fetchBalance()).rejects.toThrow(/50105/);

    // ccxt signs with now - options.timeDifference; a minute off is outside OKX's 30 s window.
    const skewed = client(fake, { options: { fetchMarkets: { types: ['spot', 'swap'] }, timeDifference: 60_000 } });
    await expect(skewed.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);

    const noHeaders = await fetch(`${fake.url}/api/v5/account/balance`);
    expect(noHeaders.status).toBe(401);
    expect(await noHeaders.json()).toEqual({ msg: 'Request header OK-ACCESS-KEY can not be empty.', code: '50103' });
    expect(fake.orders).toHaveLength(0);
  });

  it('separates demo and live keys by the x-simulated-trading header', async () => {
    fake.demo = true;
    const demo = client(fake);
    demo.setSandboxMode(true);
    await demo.createOrder('BTC/USDT', 'market', 'buy', 0.001);
    expect((await demo.fetchBalance())['BTC']?.total).toBe(0.000999);
    const privateRequests = fake.requests.filter((r) => /\/(account|trade|asset)\//.test(r.path));
    expect(privateRequests.length).toBeGreaterThan(0);
    for (const r of privateRequests) expect(r.headers['x-simulated-trading']).toBe('1');
    // In sandbox mode ccxt skips the currencies call (it is not available in demo trading).
    expect(fake.requests.some((r) => r.path === '/api/v5/asset/currencies')).toBe(false);

    const live = client(fake);
    await expect(live.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    await expect(live.fetchBalance()).rejects.toThrow(/50101/);

    fake.demo = false;
    await expect(demo.fetchBalance()).rejects.toThrow(/50101/);
    // A fresh client: ccxt caches a failed loadMarkets() promise, so `live` would keep
    // rethrowing the 50101 from its first call until loadMarkets(true).
    expect((await client(fake).fetchBalance())['USDT']?.total).toBe(10_000 - 60);
  });

  it('times out after placing the order, and the retry finds it by clOrdId instead of placing another', async () => {
    const impatient = client(fake, { timeout: 500 });
    await impatient.loadMarkets();
    fake.failNextOrderWithTimeout();

    const started = Date.now();
    const attempt = impatient.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'lost1' });
    await expect(attempt).rejects.toThrow(ccxt.RequestTimeout);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.orders).toHaveLength(1);
    expect(fake.orders[0]).toMatchObject({ clOrdId: 'lost1', state: 'filled' });

    // What a careful client does: look the order up by the clOrdId it chose, place nothing new.
    const found = await impatient.fetchOrder('', 'BTC/USDT', { clientOrderId: 'lost1' });
    expect(found).toMatchObject({ id: fake.orders[0]!.ordId, status: 'closed', filled: 0.01 });
    // And if it blindly re-sent, OKX's duplicate check would stop a second fill.
    await expect(impatient.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'lost1' })).rejects.toThrow(ccxt.InvalidOrder);
    expect(fake.orders).toHaveLength(1);
    expect(fake.balance('BTC').cash).toBeCloseTo(0.00999, 12);
  });

  it('delays trade answers by delayMs', async () => {
    await okx.loadMarkets();
    fake.delayMs = 300;
    const started = Date.now();
    await okx.createOrder('BTC/USDT', 'market', 'buy', 0.001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const impatient = client(fake, { timeout: 150 });
    await impatient.loadMarkets(); // public and asset calls are not delayed
    await expect(impatient.fetchOrder(fake.orders[0]!.ordId, 'BTC/USDT')).rejects.toThrow(ccxt.NetworkError);
  });
});
