import { createProTrader, stackTradingClient, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// OKX (even its public market list) unreachable: an alert fails visibly, it does not hang
// as "accepted".

describe('trading with OKX unreachable', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { trading: { OKX_API_BASE: 'http://127.0.0.1:9', EXCHANGE_TIMEOUT_MS: '500' } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 422 exchange_unavailable and records the signal as failed', async () => {
    const trading = stackTradingClient(h.stack);
    const { id, secret } = await createProTrader(h.stack, 'okx-down');
    const user = { id };

    const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${user.id}`, {
      method: 'POST',
      body: JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, secret }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'exchange_unavailable' });
    const { signals } = await trading.listSignals({ userId: user.id });
    expect(signals[0]).toMatchObject({ status: 'failed', rejectCode: 'exchange_unavailable' });
  });
});
