import { flatten } from '../../src/alert-dialects/json-fields';
import { alertOf, refusalOf } from './support';

// Our own messages in each dialect's field names (the names are the tools' documented ones).
describe('JSON dialects', () => {
  it('reads our own names unchanged', () => {
    expect(alertOf({ symbol: 'BTCUSDT', action: 'close_long', secret: 's' })).toEqual({
      symbol: 'BTCUSDT', action: 'close', closeSide: 'long', orderType: 'market', secret: 's',
    });
  });

  it.each(['ticker', 'pair', 'instrument', 'tv_instrument', 'symbol'])('reads the symbol from %s', (name) => {
    expect(alertOf({ [name]: 'SOLUSDT', action: 'buy' }).symbol).toBe('SOLUSDT');
  });

  it.each(['action', 'side', 'order', 'signal', 'order_action'])('reads the action from %s', (name) => {
    expect(alertOf({ ticker: 'SOLUSDT', [name]: 'Sell' }).action).toBe('sell');
  });

  describe('TradersPost', () => {
    it('reads quoted numbers, sentiment and quantityType', () => {
      expect(
        alertOf({ ticker: 'ETHUSDT', action: 'buy', sentiment: 'bullish', quantity: '2.5', quantityType: 'percent_of_equity', price: '2400.5' }),
      ).toEqual({
        symbol: 'ETHUSDT', action: 'buy', orderType: 'market', quantity: 2.5, sizeType: 'percent_equity', price: 2400.5, marketPosition: 'long',
      });
    });

    it('sell with sentiment flat only closes the long', () => {
      expect(alertOf({ ticker: 'ETHUSDT', action: 'sell', sentiment: 'flat' })).toMatchObject({ action: 'close', closeSide: 'long' });
    });

    it('turns takeProfit / stopLoss percentages into prices from signalPrice', () => {
      const a = alertOf({ ticker: 'ETHUSDT', action: 'sell', signalPrice: 2000, takeProfit: { percent: 5 }, stopLoss: { type: 'stop', percent: 2 } });
      expect(a).toMatchObject({ action: 'sell', price: 2000, takeProfit: 1900, stopLoss: 2040 });
      expect(alertOf({ ticker: 'ETHUSDT', action: 'buy', signalPrice: 2000, stopLoss: { type: 'stop', stopPrice: 1950 } }).stopLoss).toBe(1950);
    });

    it('refuses a percentage stop without a price, naming the field', () => {
      expect(refusalOf({ ticker: 'ETHUSDT', action: 'buy', stopLoss: { percent: 2 } })).toMatchObject({ code: 'malformed_alert', field: 'stopLoss.percent' });
    });

    it('refuses cancel as unsupported', () => {
      expect(refusalOf({ ticker: 'ETHUSDT', action: 'cancel' })).toMatchObject({ code: 'unsupported_alert', field: 'action' });
    });
  });

  describe('3Commas signal bot', () => {
    const msg = { secret: 'x', tv_exchange: 'BINANCE', tv_instrument: 'ETHUSDT', action: 'enter_short', timestamp: '2026-01-02T03:04:05Z', order: { amount: '40', currency_type: 'quote' } };

    it('reads tv_instrument, enter_short, order{amount, currency_type} and an ISO timestamp', () => {
      expect(alertOf(msg)).toMatchObject({
        symbol: 'ETHUSDT', action: 'sell', quantity: 40, sizeType: 'quote', timestamp: new Date('2026-01-02T03:04:05Z'),
      });
    });

    it('closes all of a position with amount 100 position_percent, and refuses any other share', () => {
      const exit = { ...msg, action: 'exit_short', order: { amount: 100, currency_type: 'position_percent' } };
      expect(alertOf(exit)).toMatchObject({ action: 'close', closeSide: 'short' });
      expect(alertOf(exit).quantity).toBeUndefined();
      expect(refusalOf({ ...exit, order: { amount: 30, currency_type: 'position_percent' } })).toMatchObject({ code: 'unsupported_alert', field: 'order.amount' });
    });

    it('refuses a take-profit ladder, and ignores disabled ones', () => {
      const steps = [{ price_percent: 1, volume_percent: 50 }, { price_percent: 2, volume_percent: 50 }];
      expect(refusalOf({ ...msg, take_profit: { enabled: true, steps } })).toMatchObject({ code: 'unsupported_alert', field: 'take_profit.steps' });
      expect(alertOf({ ...msg, take_profit: { enabled: false, steps } }).action).toBe('sell');
    });

    it('reads epoch timestamps in seconds and milliseconds', () => {
      expect(alertOf({ ...msg, timestamp: 1767323045 }).timestamp).toEqual(new Date(1767323045_000));
      expect(alertOf({ ...msg, timestamp: '1767323045000' }).timestamp).toEqual(new Date(1767323045_000));
    });
  });

  describe('TradingView strategy placeholders in nested objects', () => {
    it('reads strategy{order_action, order_contracts, order_price, market_position} and ignores the bar', () => {
      const a = alertOf({
        passphrase: 'p', ticker: 'SOLUSDT', bar: { close: 150 },
        strategy: { order_action: 'sell', order_contracts: '3', order_price: 150.5, market_position: 'flat', order_id: 'Long' },
      });
      expect(a).toEqual({ symbol: 'SOLUSDT', action: 'close', closeSide: 'long', orderType: 'market', price: 150.5, secret: 'p', marketPosition: 'flat' });
    });

    it('does not take {{strategy.order.id}} as the de-duplication id (it repeats on every trade)', () => {
      expect(alertOf({ ticker: 'SOLUSDT', strategy: { order_action: 'buy', order_id: 'Long' } }).id).toBeUndefined();
    });

    it('reads a JSON object spliced in as strategy.meta_data', () => {
      const a = alertOf({ symbol: 'SOLUSDT', strategy: { order_action: 'buy', order_price: '100', meta_data: { tp_price: '110', sl_price: '95' } } });
      expect(a).toMatchObject({ takeProfit: 110, stopLoss: 95 });
    });

    it('reads everything under "data" with hyphenated keys', () => {
      const a = alertOf({ data: { 'strategy-order-action': 'sell', 'strategy-order-price': 2.5, ticker: 'XRPUSDT' }, key: 'k' });
      expect(a).toMatchObject({ symbol: 'XRPUSDT', action: 'sell', price: 2.5, secret: 'k' });
    });

    it('reads a JSON object carried as a string in "message"', () => {
      const a = alertOf({ ticker: 'SOLUSDT', message: JSON.stringify({ type: 'short_entry', lev: '3' }), unit: '2' });
      expect(a).toMatchObject({ action: 'sell', leverage: 3, quantity: 2 });
    });

    it('takes message "exit" as closing the side the order exits', () => {
      expect(alertOf({ ticker: 'SOLUSDT', action: 'buy', message: 'exit' })).toMatchObject({ action: 'close', closeSide: 'short' });
      expect(alertOf({ ticker: 'SOLUSDT', action: 'buy', message: 'entry' }).action).toBe('buy');
    });
  });

  describe('bot bridges', () => {
    it('reads vazw: OpenShort with "@" base amount and leverage as a string', () => {
      expect(alertOf({ side: 'OpenShort', amount: '@0.5', symbol: 'ETHUSDTPERP', leverage: '10' })).toMatchObject({
        action: 'sell', quantity: 0.5, sizeType: 'base', leverage: 10,
      });
    });

    it('reads CryptoGnome: capitalised side, strings for numbers and "True"/"False" booleans', () => {
      const base = { key: 'k', symbol: 'ETHUSDT', type: 'Limit', side: 'Sell', qty: '2', price: '2000', close_position: 'False', take_profit_percent: '1' };
      expect(alertOf(base)).toMatchObject({ action: 'sell', orderType: 'limit', limitPrice: 2000, quantity: 2, takeProfit: 1980 });
      expect(alertOf({ ...base, close_position: 'True' })).toMatchObject({ action: 'close', closeSide: 'both' });
    });

    it('reads WunderTrading code and amountPerTrade', () => {
      const a = alertOf({ code: 'Enter-Short', orderType: 'market', amountPerTradeType: 'quote', amountPerTrade: 25, symbol: 'ETHUSDT' });
      expect(a).toMatchObject({ action: 'sell', quantity: 25, sizeType: 'quote' });
    });

    it('reads Alertatron Signals Lite: side, "25%" amount and entry type', () => {
      const a = alertOf({ side: 'short', amount: '10%', entry: 'limit', price: '90', symbol: 'SOLUSDT' });
      expect(a).toMatchObject({ action: 'sell', quantity: 10, sizeType: 'percent_equity', orderType: 'limit', limitPrice: 90 });
    });

    it('reads an alertId as the de-duplication id', () => {
      expect(alertOf({ symbol: 'SOLUSDT', side: 'Buy', alertId: 'a-1' }).id).toBe('a-1');
    });
  });

  it('names the user\'s field when a value is wrong', () => {
    expect(refusalOf({ ticker: 'SOLUSDT', side: 'buy', signalPrice: 'cheap' })).toMatchObject({
      code: 'malformed_alert', field: 'signalPrice', message: 'field "signalPrice" must be a number, got "cheap"',
    });
    expect(refusalOf({ tv_instrument: 'SOLUSDT', action: 'buy', leverage: '500' })).toMatchObject({ field: 'leverage' });
    expect(refusalOf({ ticker: true, action: 'buy' })).toMatchObject({ field: 'ticker', message: 'field "ticker" must be a string, got true' });
    expect(refusalOf({ ticker: { id: 1 }, action: 'buy' })).toMatchObject({ field: 'symbol', message: 'field "symbol" is required' });
  });

  it('flattens breadth first, so the top level wins over nested copies', () => {
    const v = flatten({ data: { symbol: 'A' }, symbol: 'B', strategy: { order: { action: 'buy' } } });
    expect(v.get('symbol')).toEqual({ path: 'symbol', value: 'B' });
    expect(v.get('strategyorderaction')).toEqual({ path: 'strategy.order.action', value: 'buy' });
  });
});
