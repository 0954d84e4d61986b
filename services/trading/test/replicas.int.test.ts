import { SignalStatus } from '@tbot/common';
import type { Child } from '@tbot/local-stack';
import { createProTrader, stackTradingClient, startBillingHarness, startReplica, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';

// Two trading replicas share one MongoDB: a user's signals must still run one at a time,
// or both replicas would count "0 orders this minute" and both would trade.

describe('trading replicas', () => {
  let h: BillingHarness;
  let second: Child;
  let secondUrl: string;

  beforeAll(async () => {
    h = await startBillingHarness();
    ({ child: second, url: secondUrl } = await startReplica(h, 'trading'));
  });
  afterAll(async () => {
    await second?.stop();
    await h?.stop();
  });

  const replicas = () =>
    [h.stack.tradingUrl, secondUrl].map((baseUrl) => stackTradingClient(h.stack, { baseUrl, timeoutMs: 20_000 }));

  const proUser = () => createProTrader(h.stack, 'replicas');

  it('runs one user\'s signals one at a time across replicas, so limits hold', async () => {
    const [one, two] = replicas();
    const { id, secret } = await proUser();
    const user = { id };
    await two!.setRiskProfile({
      userId: user.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 50, maxOrdersPerMinute: 1, closeOppositeFirst: true },
    });

    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        [one, two][i % 2]!.submitSignal({
          userId: user.id,
          body: Buffer.from(JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: `race-${i}`, secret })),
          waitMs: 2500,
        }),
      ),
    );
    const executed = answers.filter((a) => a.status === SignalStatus.EXECUTED);
    const limited = answers.filter((a) => a.status === SignalStatus.REJECTED && a.rejectRule === 'max_orders_per_minute');
    expect({ executed: executed.length, limited: limited.length }).toEqual({ executed: 1, limited: 5 });
    expect((await one!.listTrades({ userId: user.id })).trades).toHaveLength(1);
  });

  it('finishes signals still executing before a replica stops (SIGTERM)', async () => {
    const [one, two] = replicas();
    const { id, secret } = await proUser();
    await one!.setExchangeCredentials({ userId: id, exchange: 'okx', mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    h.okx.delayMs = 800;
    try {
      const r = await two!.submitSignal({
        userId: id,
        body: Buffer.from(JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id: 'drain-1', secret })),
        waitMs: 100,
      });
      expect(r.status).toBe(SignalStatus.ACCEPTED);
      expect(await second.stop()).toBe(0);
    } finally {
      h.okx.delayMs = 0;
    }
    const [trade] = (await one!.listTrades({ userId: id })).trades;
    expect(trade).toMatchObject({ status: 'filled' });
  });
});
