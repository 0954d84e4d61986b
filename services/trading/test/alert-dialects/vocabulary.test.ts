import { amountOf, applySentiment, booleanOf, intentOf, sentimentOf, sizeKindOf } from '../../src/alert-dialects/vocabulary';

describe('alert vocabulary', () => {
  it.each([
    ['buy', 'buy'], ['LONG', 'buy'], ['enter_long', 'buy'], ['Enter-Long', 'buy'], ['OpenLong', 'buy'], ['long_entry', 'buy'],
    ['Sell', 'sell'], ['short', 'sell'], ['enter_short', 'sell'], ['OpenShort', 'sell'],
    ['exit_long', 'close_long'], ['closelong', 'close_long'], ['CloseLong', 'close_long'], ['long_exit', 'close_long'],
    ['exit_short', 'close_short'], ['closeshort', 'close_short'], ['Exit-Short', 'close_short'],
    ['close', 'close'], ['exit', 'close'], ['flat', 'close'], ['Exit-All', 'close'],
  ])('reads the action %s as %s', (word, intent) => {
    expect(intentOf(word, 'action')).toBe(intent);
  });

  it.each(['cancel', 'add', 'reverse', 'disable'])('refuses %s as understood but unsupported, naming the field', (word) => {
    expect(() => intentOf(word, 'side')).toThrow(expect.objectContaining({ code: 'unsupported_alert', field: 'side' }));
  });

  it('refuses an unknown action as malformed, naming the field and listing the words', () => {
    expect(() => intentOf('hodl', 'strategy.order_action')).toThrow(
      expect.objectContaining({ code: 'malformed_alert', field: 'strategy.order_action', message: expect.stringMatching(/"strategy\.order_action" must be one of buy, sell/) }),
    );
    expect(() => intentOf(3, 'action')).toThrow(expect.objectContaining({ code: 'malformed_alert' }));
  });

  describe("TradersPost's sentiment rules", () => {
    it.each([
      ['buy', 'flat', 'close_short'],
      ['sell', 'flat', 'close_long'],
      ['buy', 'long', 'buy'],
      ['sell', 'short', 'sell'],
      ['exit', 'long', 'close'],
    ] as const)('%s with sentiment %s is %s', (action, sentiment, intent) => {
      expect(applySentiment(intentOf(action, 'action'), sentiment, 'sentiment')).toBe(intent);
    });

    it.each(['bullish', 'bearish', 'Long', 'FLAT'])('reads the sentiment %s', (s) => {
      expect(['long', 'short', 'flat']).toContain(sentimentOf(s, 'sentiment'));
    });

    it('refuses a buy that leaves the strategy short (a partial exit)', () => {
      expect(() => applySentiment('buy', 'short', 'sentiment')).toThrow(expect.objectContaining({ code: 'unsupported_alert', field: 'sentiment' }));
    });

    it('refuses an unknown sentiment', () => {
      expect(() => sentimentOf('sideways', 'sentiment')).toThrow(expect.objectContaining({ code: 'malformed_alert', field: 'sentiment' }));
    });
  });

  describe('amounts with their unit in the value', () => {
    it.each([
      [2, { quantity: 2 }],
      ['0.015', { quantity: 0.015 }],
      ['@0.006', { quantity: 0.006, kind: 'base' }],
      ['$20', { quantity: 20, kind: 'quote' }],
      ['%50', { quantity: 50, kind: 'position_percent' }],
      ['25%', { quantity: 25, kind: 'percent_equity' }],
      ['100%a', { quantity: 100, kind: 'percent_equity' }],
      ['100%p', { quantity: 100, kind: 'position_percent' }],
    ])('reads %j', (value, expected) => {
      expect(amountOf(value, 'amount')).toEqual(expected);
    });

    it.each(['abc', '1.2.3', '#5', '5x', true])('refuses %j, naming the field', (value) => {
      expect(() => amountOf(value, 'order.amount')).toThrow(expect.objectContaining({ field: 'order.amount', code: 'malformed_alert' }));
    });
  });

  it.each([
    ['base', 'base'], ['fixed_quantity', 'base'], ['quote', 'quote'], ['dollar_amount', 'quote'],
    ['percent_of_equity', 'percent_equity'], ['risk_percent', 'risk_percent'], ['position_percent', 'position_percent'],
  ])('reads the size type %s', (v, kind) => {
    expect(sizeKindOf(v, 'quantityType')).toBe(kind);
  });

  it('refuses risk_dollar_amount as unsupported and an unknown size type as malformed', () => {
    expect(() => sizeKindOf('risk_dollar_amount', 'quantityType')).toThrow(expect.objectContaining({ code: 'unsupported_alert' }));
    expect(() => sizeKindOf('lots', 'quantityType')).toThrow(expect.objectContaining({ code: 'malformed_alert', field: 'quantityType' }));
  });

  it.each([['True', true], ['False', false], [true, true], ['false', false], [0, false], ['yes', true]])('reads the boolean %j', (v, b) => {
    expect(booleanOf(v, 'close_position')).toBe(b);
  });

  it('refuses a boolean that is neither', () => {
    expect(() => booleanOf('maybe', 'close_position')).toThrow(expect.objectContaining({ field: 'close_position' }));
  });
});
