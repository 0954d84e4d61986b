import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { historyQuery, SIGNAL_STATUSES, TRADE_STATUSES } from '../src/history-filter';

const USER = '0b0e5f2c-4a1d-4c1e-9a51-1f6f7c1b2d3e';
const signals = { statuses: SIGNAL_STATUSES, timeField: 'receivedAt' as const };
const trades = { statuses: TRADE_STATUSES, timeField: 'createdAt' as const };
const req = (over: Partial<Parameters<typeof historyQuery>[1]> = {}) => ({ pageSize: 0, pageToken: '', status: '', strategyId: '', symbol: '', ...over });

describe('historyQuery', () => {
  it('scopes to the user with a default page of 50', () => {
    expect(historyQuery(USER, req(), signals)).toEqual({ ok: true, value: { filter: { userId: USER }, limit: 50 } });
  });

  it('caps the page at 200 and pages below the token', () => {
    const r = historyQuery(USER, req({ pageSize: 1000, pageToken: 'sig_0000abcde0123456789ab' }), signals);
    expect(r).toEqual({ ok: true, value: { filter: { userId: USER, _id: { $lt: 'sig_0000abcde0123456789ab' } }, limit: 200 } });
  });

  it('combines every filter, the time range on the field of each kind', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-02-01T00:00:00Z');
    const r = historyQuery(USER, req({ status: 'filled', strategyId: `stg_${'a'.repeat(32)}`, symbol: 'BTC/USDT:USDT', from: timestampFromDate(from), to: timestampFromDate(to) }), trades);
    expect(r).toEqual({
      ok: true,
      value: { filter: { userId: USER, status: 'filled', strategyId: `stg_${'a'.repeat(32)}`, symbol: 'BTC/USDT:USDT', createdAt: { $gte: from, $lt: to } }, limit: 50 },
    });
  });

  it('names the default strategy "default" (stored as empty)', () => {
    const r = historyQuery(USER, req({ strategyId: 'default' }), signals);
    expect(r.ok && r.value.filter.strategyId).toBe('');
  });

  it('takes an open-ended range', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const r = historyQuery(USER, req({ from: timestampFromDate(from) }), signals);
    expect(r.ok && r.value.filter.receivedAt).toEqual({ $gte: from });
  });

  it.each([
    [{ status: 'filled' }, signals, /^status: one of accepted/],
    [{ status: 'executed' }, trades, /^status: one of submitted/],
    [{ strategyId: 'stg_nope' }, signals, /^strategy_id:/],
    [{ symbol: '$where' }, signals, /^symbol:/],
    [{ symbol: 'A'.repeat(41) }, signals, /^symbol:/],
    [{ pageToken: 'trd_../../' }, trades, /^page_token:/],
    [{ from: timestampFromDate(new Date(2000)), to: timestampFromDate(new Date(1000)) }, trades, /^from: must be before to/],
  ])('refuses %p naming the field', (over, kind, message) => {
    const r = historyQuery(USER, req(over), kind);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });
});
