import { alertOf, refusalOf } from './support';

describe('plain commands: ACTION SYMBOL [QUANTITY] [key=value]', () => {
  it('reads buy BTCUSDT 0.01', () => {
    expect(alertOf('buy BTCUSDT 0.01')).toEqual({ symbol: 'BTCUSDT', action: 'buy', orderType: 'market', quantity: 0.01 });
  });

  it('reads units in the quantity, a secret= token and close verbs', () => {
    expect(alertOf('sell OKX:ETHUSDT.P $50 secret=abc')).toEqual({
      symbol: 'OKX:ETHUSDT.P', action: 'sell', orderType: 'market', quantity: 50, sizeType: 'quote', secret: 'abc',
    });
    expect(alertOf('exit_long ETHUSDT')).toMatchObject({ action: 'close', closeSide: 'long' });
  });

  it('refuses unknown verbs and extra words', () => {
    expect(refusalOf('hello there')).toMatchObject({ code: 'malformed_alert', field: 'command' });
    expect(refusalOf('buy BTCUSDT 1 2')).toMatchObject({ code: 'malformed_alert', field: 'command' });
    expect(refusalOf('buy BTCUSDT lots')).toMatchObject({ field: 'quantity' });
  });
});
