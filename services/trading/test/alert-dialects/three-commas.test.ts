import { quoteFirstPair } from '../../src/alert-dialects/three-commas';
import { alertOf, alertsOf, refusalOf } from './support';

describe('3Commas DCA bot messages', () => {
  const deal = { message_type: 'bot', bot_id: 123, email_token: 'tok', delay_seconds: 0, pair: 'USDC_ETH' };

  it('reads a start-deal message as an entry on the quote-first pair', () => {
    expect(alertOf(deal)).toEqual({ symbol: 'ETH/USDC', action: 'buy', orderType: 'market' });
  });

  it('keeps an explicit action', () => {
    expect(alertOf({ ...deal, action: 'exit' })).toMatchObject({ action: 'close' });
  });

  it('reads a list of messages as commands in order', () => {
    expect(alertsOf([deal, { ...deal, pair: 'USDT_SOL' }]).map((a) => a.symbol)).toEqual(['ETH/USDC', 'SOL/USDT']);
  });

  it('refuses a pair that is not QUOTE_BASE', () => {
    expect(() => quoteFirstPair('ETHUSDC', 'pair')).toThrow(expect.objectContaining({ field: 'pair' }));
    expect(refusalOf({ ...deal, pair: 'nope' })).toMatchObject({ field: 'pair' });
  });
});
