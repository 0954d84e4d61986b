import { refusalOf } from './support';

describe('recognised but unsupported messages', () => {
  it('says a Hummingbot command is not a trade signal', () => {
    expect(refusalOf({ topic: 'hbot/bot1/command_shortcuts', params: [['spreads', '2']] })).toMatchObject({ code: 'unsupported_alert', field: 'topic' });
  });

  it('says a Hummingbot event carries no order, and reads one that does', () => {
    expect(refusalOf({ topic: 'hbot/bot1/external/events/e', data: { symbol: 'ETHUSDT', position: 'short' } })).toMatchObject({
      code: 'unsupported_alert', field: 'topic',
    });
  });

  it('says Kiwoom orders are not supported', () => {
    expect(refusalOf({ dmstStexTp: 'KRX', strCd: '000660', ordQty: '3' })).toMatchObject({ code: 'unsupported_alert', field: 'strCd' });
  });

  it('leaves messages with no trade in them as malformed, naming the missing field', () => {
    expect(refusalOf({ key: 'k', msg: 'hello' })).toMatchObject({ code: 'malformed_alert', message: 'field "symbol" is required' });
  });
});
