import { csvSecret, csvTokens } from '../../src/alert-dialects/csv-commands';
import { alertOf, alertsOf, refusalOf } from './support';

describe('comma-separated commands', () => {
  describe('PineConnector style: SECRET,command,SYMBOL,key=value', () => {
    it('reads the command, symbol and risk; the first field is the secret', () => {
      expect(alertOf('my-secret-1,sell,ETHUSDT,risk=0.5,sl=15,tp=30')).toEqual({
        symbol: 'ETHUSDT', action: 'sell', orderType: 'market', quantity: 0.5, sizeType: 'risk_percent', secret: 'my-secret-1',
      });
    });

    it('reads closeshort and vol_lots with spaces after commas', () => {
      expect(alertOf('abc, closeshort, SOLUSDT')).toMatchObject({ action: 'close', closeSide: 'short' });
      expect(alertOf('abc,buy,SOLUSDT, vol_lots=3')).toMatchObject({ action: 'buy', quantity: 3 });
    });

    it('takes a secret= parameter over the licence position', () => {
      expect(csvSecret(csvTokens('1234,buy,SOLUSDT,secret=the-real-one'))).toBe('the-real-one');
      expect(csvSecret(csvTokens('1234,buy,SOLUSDT'))).toBe('1234');
    });
  });

  describe('TradeWzrd style: COMMAND, SYMBOL, KEY=VALUE', () => {
    it('reads BUY with RISK and ignores pip distances', () => {
      expect(alertOf('SELL, SOLUSDT, RISK=1.5, SL=20, TP=40, TPSLType=PIPS')).toEqual({
        symbol: 'SOLUSDT', action: 'sell', orderType: 'market', quantity: 1.5, sizeType: 'risk_percent',
      });
    });

    it('reads CLOSE with SIDE= as closing that side', () => {
      expect(alertOf('CLOSE, SOLUSDT, SIDE=SELL')).toMatchObject({ action: 'close', closeSide: 'short' });
      expect(alertOf('CLOSE, SOLUSDT')).toMatchObject({ action: 'close', closeSide: 'both' });
    });

    it('reads two lines as two commands, in order', () => {
      expect(alertsOf('CLOSE, SOLUSDT, SIDE=BUY\nSELL, SOLUSDT, RISK=1\n').map((a) => [a.action, a.closeSide])).toEqual([
        ['close', 'long'],
        ['sell', undefined],
      ]);
    });
  });

  it('refuses what is neither, naming what is wrong', () => {
    expect(refusalOf('hello, world')).toMatchObject({ code: 'malformed_alert', field: 'command' });
    expect(refusalOf('BUY, SOLUSDT, fast')).toMatchObject({ code: 'malformed_alert', message: '"fast" is not KEY=VALUE' });
    expect(refusalOf('BUY, SOLUSDT, SIDE=BUY')).toMatchObject({ field: 'SIDE' });
    expect(refusalOf('BUY, SOLUSDT, RISK=lots')).toMatchObject({ field: 'RISK' });
  });
});
