import { randomUUID } from 'node:crypto';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { SignalStatus } from '@tbot/common';
import { createProTrader, stackTradingClient, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// What trading answers about a user's signals and trades, on the real service and database:
// the list filters, one signal with its trades, the decision time, and PnL by day.

jest.setTimeout(150_000);

describe('ListSignals and ListTrades filters, GetSignal, GetPnl', () => {
  let h: BillingHarness;
  let user: { id: string; secret: string };
  const signalIds: Record<'buy' | 'sell' | 'refused', string> = { buy: '', sell: '', refused: '' };

  const trading = () => stackTradingClient(h.stack, { timeoutMs: 20_000 });
  const submit = (body: Record<string, unknown>) =>
    trading().submitSignal({ userId: user.id, body: Buffer.from(JSON.stringify({ secret: user.secret, id: randomUUID(), ...body })), waitMs: 10_000 });

  beforeAll(async () => {
    h = await startBillingHarness();
    h.okx.setPrice('BTC-USDT', 30_000);
    user = await createProTrader(h.stack, 'history');
    await trading().setRiskProfile({
      userId: user.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.01, allowedSymbols: ['BTC/USDT'], maxOrderNotional: 100_000 },
    });
    const buy = await submit({ symbol: 'BTCUSDT', action: 'buy', price: 30_000 });
    const sell = await submit({ symbol: 'BTCUSDT', action: 'sell', price: 31_000 });
    const refused = await submit({ symbol: 'ETHUSDT', action: 'buy', price: 2_000 });
    expect([buy.status, sell.status, refused.status]).toEqual([SignalStatus.EXECUTED, SignalStatus.EXECUTED, SignalStatus.REJECTED]);
    signalIds.buy = buy.signalId;
    signalIds.sell = sell.signalId;
    signalIds.refused = refused.signalId;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('filters signals by status, symbol, strategy and time, each signal with its decision time and reason', async () => {
    const list = (filter: Record<string, unknown>) => trading().listSignals({ userId: user.id, ...filter });
    const rejected = (await list({ status: 'rejected' })).signals;
    expect(rejected.map((s) => s.id)).toEqual([signalIds.refused]);
    expect(rejected[0]).toMatchObject({ rejectCode: 'risk_rejected', rejectRule: 'symbol_not_allowed', reason: 'Refused by the risk profile: the symbol is not in the allowed list' });
    const decided = timestampDate(rejected[0]!.decidedAt!).getTime() - timestampDate(rejected[0]!.receivedAt!).getTime();
    expect(decided).toBeGreaterThanOrEqual(0);
    expect(decided).toBeLessThan(30_000);
    expect((await list({ status: 'executed', symbol: 'BTCUSDT' })).signals.map((s) => s.id)).toEqual([signalIds.sell, signalIds.buy]);
    expect((await list({ strategyId: 'default' })).signals).toHaveLength(3);
    expect((await list({ strategyId: `stg_${'f'.repeat(32)}` })).signals).toHaveLength(0);
    const hourAgo = timestampFromDate(new Date(Date.now() - 3_600_000));
    expect((await list({ to: hourAgo })).signals).toHaveLength(0);
    expect((await list({ from: hourAgo, pageSize: 2 })).nextPageToken).toBe(signalIds.sell);
  });

  it('filters trades and pages through them', async () => {
    const list = (filter: Record<string, unknown>) => trading().listTrades({ userId: user.id, ...filter });
    const all = (await list({})).trades;
    expect(all.map((t) => [t.side, t.status, t.symbol])).toEqual([['sell', 'filled', 'BTC/USDT'], ['buy', 'filled', 'BTC/USDT']]);
    expect(all.every((t) => t.settledAt !== undefined)).toBe(true);
    expect((await list({ status: 'filled', symbol: 'BTC/USDT' })).trades).toHaveLength(2);
    expect((await list({ symbol: 'ETH/USDT' })).trades).toHaveLength(0);
    const first = await list({ pageSize: 1 });
    const second = await list({ pageSize: 1, pageToken: first.nextPageToken });
    expect([...first.trades, ...second.trades].map((t) => t.id)).toEqual(all.map((t) => t.id));
    expect(second.nextPageToken).toBe('');
  });

  it('answers one signal with the trades it placed, and not another user', async () => {
    const r = await trading().getSignal({ userId: user.id, signalId: signalIds.buy });
    expect(r.signal).toMatchObject({ id: signalIds.buy, status: 'executed', symbol: 'BTCUSDT' });
    expect(r.trades.map((t) => [t.signalId, t.side, t.price])).toEqual([[signalIds.buy, 'buy', 30_000]]);
    await expect(trading().getSignal({ userId: randomUUID(), signalId: signalIds.buy })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(trading().getSignal({ userId: user.id, signalId: 'sig_x' })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('sums realized PnL by UTC day', async () => {
    const trades = (await trading().listTrades({ userId: user.id })).trades;
    const realized = trades.reduce((sum, t) => sum + t.realizedPnl, 0);
    expect(realized).toBeGreaterThan(0); // bought at 30 000, sold at 31 000
    const pnl = await trading().getPnl({ userId: user.id, days: 3 });
    expect(pnl.currency).toBe('USDT');
    expect(pnl.daily.map((d) => d.day)).toEqual([2, 1, 0].map((n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)));
    expect(pnl.daily.at(-1)!.realizedPnl).toBeCloseTo(realized, 6);
    expect(pnl.cumulative.at(-1)!.realizedPnl).toBeCloseTo(realized, 6);
    expect((await trading().getPnl({ userId: user.id })).daily).toHaveLength(30);
    await expect(trading().getPnl({ userId: user.id, days: 367 })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('refuses a bad filter naming the field (INVALID_ARGUMENT)', async () => {
    for (const [filter, message] of [
      [{ status: 'lost' }, /status: one of/],
      [{ strategyId: 'stg_1' }, /strategy_id:/],
      [{ symbol: '{"$ne":1}' }, /symbol:/],
      [{ pageToken: 'zzz' }, /page_token:/],
    ] as const) {
      await expect(trading().listSignals({ userId: user.id, ...filter })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(message) });
    }
  });
});
