import { alertOf, refusalOf } from './support';

describe('pipe-delimited commands', () => {
  it('reads SECRET|strategy|action|SYMBOL', () => {
    expect(alertOf('k-123|RSI 1h|sell|ETHUSDT')).toEqual({ symbol: 'ETHUSDT', action: 'sell', orderType: 'market', secret: 'k-123', strategy: 'RSI 1h' });
  });

  it('reads action|SYMBOL|quantity', () => {
    expect(alertOf('buy|ETHUSDT|0.2')).toMatchObject({ action: 'buy', symbol: 'ETHUSDT', quantity: 0.2 });
  });

  it('refuses other shapes', () => {
    expect(refusalOf('a|b')).toMatchObject({ code: 'malformed_alert', field: 'command' });
  });
});
