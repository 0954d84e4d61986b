import { requireComplete } from '../../src/alert-dialects/complete';

describe('requireComplete', () => {
  it('refuses a command without a symbol, naming the field in the user\'s dialect', () => {
    expect(requireComplete({ action: 'buy', orderType: 'market' })).toEqual({
      ok: false, code: 'malformed_alert', message: 'field "symbol" is required', field: 'symbol',
    });
    expect(requireComplete({ orderType: 'market' }, undefined, { symbol: 'ticker' })).toMatchObject({ message: 'field "ticker" is required' });
  });

  it('refuses a command without an action', () => {
    expect(requireComplete({ symbol: 'BTCUSDT', orderType: 'market' }, undefined, { action: 'side' })).toMatchObject({
      ok: false, code: 'malformed_alert', field: 'side',
    });
  });

  it('fills the symbol, and a quantity with its unit, from defaults; the message wins', () => {
    const defaults = { symbol: 'ETHUSDT', quantity: 50, sizeType: 'quote' as const };
    expect(requireComplete({ action: 'buy', orderType: 'market' }, defaults)).toEqual({
      ok: true, alert: { symbol: 'ETHUSDT', action: 'buy', orderType: 'market', quantity: 50, sizeType: 'quote' },
    });
    expect(requireComplete({ symbol: 'BTCUSDT', action: 'sell', orderType: 'market', quantity: 1 }, defaults)).toEqual({
      ok: true, alert: { symbol: 'BTCUSDT', action: 'sell', orderType: 'market', quantity: 1 },
    });
  });
});
