import { alertatronSecret } from '../../src/alert-dialects/alertatron';
import { alertOf, alertsOf, refusalOf } from './support';

describe('Alertatron scripts', () => {
  it('reads a market order', () => {
    expect(alertOf('Main(ETHUSDT) { market(side=sell, amount=2); }')).toEqual({
      symbol: 'ETHUSDT', action: 'sell', orderType: 'market', quantity: 2,
    });
  });

  it('reads several market orders, comments, a #bot tag and a secret= line', () => {
    const script = 'secret=s3\nMain(ETHUSDT) {\n  # flip\n  market(position=0);\n  market(side=buy, amount=50%a);\n}\n#bot';
    expect(alertsOf(script).map((a) => [a.action, a.quantity, a.sizeType])).toEqual([
      ['close', undefined, undefined],
      ['buy', 50, 'percent_equity'],
    ]);
    expect(alertatronSecret(script)).toBe('s3');
  });

  it('refuses the commands that need resting orders, naming them', () => {
    expect(refusalOf('K(ETHUSDT) { market(side=buy, amount=1); stopOrder(side=sell, amount=100%p, stop=e-1%); }')).toMatchObject({
      code: 'unsupported_alert', field: 'stopOrder',
    });
    expect(refusalOf('K(ETHUSDT) { market(position=5); }')).toMatchObject({ code: 'unsupported_alert', field: 'position' });
  });

  it('refuses a market() without a side', () => {
    expect(refusalOf('K(ETHUSDT) { market(amount=1); }')).toMatchObject({ code: 'malformed_alert', field: 'side' });
  });
});
