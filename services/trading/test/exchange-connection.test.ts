import { exchangeStatusOf } from '../src/exchange-connection';

describe('exchangeStatusOf', () => {
  const saved = { mode: 'okx-demo' as const, apiKeyHint: 'k123', keysRejectedAt: null, keysRejectedCode: '', keysOkAt: null };
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

  it('says not_set without an account or in paper mode, whatever else the record holds', () => {
    expect(exchangeStatusOf(null)).toEqual({ mode: 'paper', apiKeyHint: '', keyStatus: 'not_set', rejectedCode: '' });
    expect(exchangeStatusOf({ ...saved, mode: 'paper' as const, apiKeyHint: '', keysOkAt: t(1) })).toMatchObject({ mode: 'paper', keyStatus: 'not_set' });
  });

  it('says unchecked for keys nobody has used yet, ok after a good test, rejected after a refusal', () => {
    expect(exchangeStatusOf(saved)).toEqual({ mode: 'okx-demo', apiKeyHint: 'k123', keyStatus: 'unchecked', rejectedCode: '' });
    expect(exchangeStatusOf({ ...saved, keysOkAt: t(5) })).toEqual({ mode: 'okx-demo', apiKeyHint: 'k123', keyStatus: 'ok', checkedAt: t(5), rejectedCode: '' });
    expect(exchangeStatusOf({ ...saved, mode: 'okx' as const, keysRejectedAt: t(7), keysRejectedCode: '50111' })).toEqual({
      mode: 'okx',
      apiKeyHint: 'k123',
      keyStatus: 'rejected',
      checkedAt: t(7),
      rejectedCode: '50111',
    });
  });

  it('believes the newer of a good test and a refusal', () => {
    expect(exchangeStatusOf({ ...saved, keysOkAt: t(5), keysRejectedAt: t(9), keysRejectedCode: '50113' }).keyStatus).toBe('rejected');
    expect(exchangeStatusOf({ ...saved, keysOkAt: t(9), keysRejectedAt: t(5), keysRejectedCode: '50113' }).keyStatus).toBe('ok');
  });
});
