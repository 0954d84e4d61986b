import { createProTrader, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import ccxt from 'ccxt';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { postAlert, tradingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// On OKX, the account is the truth: a position changed behind the service's back (by hand on
// OKX, a liquidation) is what the next signal sees, and the reconciler records the
// difference, announces it on NATS and corrects the service's book. A stack of its own: the
// fake OKX is one account, shared by every user of a stack.

const XFF = { 'x-forwarded-for': '52.89.214.238' };

describe('positions as OKX holds them', () => {
  let h: BillingHarness;
  let trading: ReturnType<typeof tradingClient>;
  let nc: NatsConnection;
  let mismatches: Subscription;
  const seen: Array<Record<string, unknown>> = [];
  /** The account owner's own client, trading on OKX without the service. */
  let byHand: InstanceType<typeof ccxt.okx>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: { gateway: { TRUST_PROXY: 'loopback' }, trading: { RECONCILE_POSITIONS_INTERVAL_MS: '300' } },
    });
    trading = tradingClient(h.stack);
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT-SWAP', 37_000);
    nc = await connect({ servers: h.stack.natsUrl });
    mismatches = nc.subscribe('trading.position.mismatch');
    void (async () => {
      for await (const m of mismatches) seen.push(JSON.parse(m.string()) as Record<string, unknown>);
    })();
    byHand = new ccxt.okx({ ...h.okx.ccxtConfig(), options: { fetchMarkets: { types: ['spot', 'swap'] } }, enableRateLimit: false });
    byHand.setSandboxMode(true);
  });
  afterAll(async () => {
    await nc?.close();
    await h?.stop();
  });

  it('sees a position closed by hand, then records, announces and books what OKX holds', async () => {
    const u = await createProTrader(h.stack, 'exchange-truth');
    await trading.setRiskProfile({
      userId: u.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.05, closeOppositeFirst: true, maxPositionNotional: 1_000_000 },
    });
    await trading.setExchangeCredentials({ userId: u.id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    const send = (extra: Record<string, unknown>) =>
      postAlert(h.stack.gatewayUrl, u.id, { symbol: 'BTCUSDT.P', price: 37000, secret: u.secret, id: nextId('ord'), ...extra }, { headers: XFF });

    expect((await send({ action: 'buy' })).status).toBe(200);
    expect(h.okx.position('BTC-USDT-SWAP')).toBe(5);

    // Closed on OKX's own page: the service's book still says long.
    await byHand.createOrder('BTC/USDT:USDT', 'market', 'sell', 5, undefined, { reduceOnly: true });
    expect(h.okx.position('BTC-USDT-SWAP')).toBe(0);
    // The next signal works from OKX's positions: nothing to close (not a reduce-only order OKX refuses).
    const before = h.okx.requests.length;
    expect(await send({ action: 'close' })).toMatchObject({ status: 422, body: { error: 'no_position' } });
    expect(h.okx.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);

    await until('the book to follow OKX', async () => ((await trading.getPositions({ userId: u.id })).positions.length === 0 ? true : undefined), 10_000);
    await until('the mismatch to be announced', async () => seen.find((e) => e.user_id === u.id), 5_000);
    expect(seen.filter((e) => e.user_id === u.id)).toEqual([expect.objectContaining({ mode: 'okx-demo', symbol: 'BTC/USDT:USDT', ours: 0.05, theirs: 0 })]);

    // Opened by hand (or left by a liquidation's partial close): booked as OKX reports it.
    await byHand.createOrder('BTC/USDT:USDT', 'market', 'sell', 3);
    await until('the short to be booked', async () => {
      const p = (await trading.getPositions({ userId: u.id })).positions;
      return p.length === 1 ? p[0] : undefined;
    }, 10_000).then((p) => expect(p).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'short', amount: 0.03 }));
    await until('the second mismatch', async () => (seen.filter((e) => e.user_id === u.id).length === 2 ? true : undefined), 5_000);
    expect(seen.filter((e) => e.user_id === u.id)[1]).toMatchObject({ ours: 0, theirs: -0.03 });

    // Agreeing again, nothing more is announced however often it compares.
    await new Promise((r) => setTimeout(r, 1200));
    expect(seen.filter((e) => e.user_id === u.id)).toHaveLength(2);
  });
});
