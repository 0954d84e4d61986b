import { alertMessageSecret, MAX_COMMANDS, parseAlertMessage } from '../../src/alert-dialects';
import { alertsOf, refusalOf } from './support';

const SECRET = 'sEcReT-9f8e7d6c-DoNotLeak';

describe('alertMessageSecret', () => {
  it.each([
    ['secret', { secret: SECRET, symbol: 'X' }],
    ['passphrase', { passphrase: SECRET, ticker: 'X' }],
    ['key', { key: SECRET, data: {} }],
  ])('finds the secret under %s', (_name, body) => {
    expect(alertMessageSecret(JSON.stringify(body))).toBe(SECRET);
  });

  it('prefers secret over passphrase over key', () => {
    expect(alertMessageSecret(JSON.stringify({ key: 'a', passphrase: 'b', secret: SECRET }))).toBe(SECRET);
  });

  it('finds it in JSON with comments, in text commands and on a secret= line', () => {
    expect(alertMessageSecret(`{"secret": "${SECRET}", // mine\n"ticker": "X"}`)).toBe(SECRET);
    expect(alertMessageSecret(`buy BTCUSDT 1 secret=${SECRET}`)).toBe(SECRET);
    expect(alertMessageSecret(`${SECRET},buy,BTCUSDT`)).toBe(SECRET);
    expect(alertMessageSecret(`${SECRET}|s|buy|BTCUSDT`)).toBe(SECRET);
    expect(alertMessageSecret(`CLOSE, BTCUSDT\nBUY, BTCUSDT\nsecret=${SECRET}`)).toBe(SECRET);
    expect(alertMessageSecret(`K(BTCUSDT) { market(side=buy, amount=1); }\nsecret=${SECRET}`)).toBe(SECRET);
  });

  it('has none when commands disagree, one lacks it, or the body cannot be read', () => {
    expect(alertMessageSecret(JSON.stringify([{ secret: 'a' }, { secret: 'b' }]))).toBeUndefined();
    expect(alertMessageSecret(JSON.stringify([{ secret: 'a' }, {}]))).toBeUndefined();
    expect(alertMessageSecret('buy BTCUSDT secret=a\nsell BTCUSDT secret=b')).toBeUndefined();
    expect(alertMessageSecret('{"secret": "a",')).toBeUndefined();
    expect(alertMessageSecret('buy BTCUSDT')).toBeUndefined();
  });
});

describe('parseAlertMessage', () => {
  it('returns the commands of a message in order, with the dialect', () => {
    const r = parseAlertMessage('sell BTCUSDT 1\nbuy ETHUSDT 2');
    expect(r).toMatchObject({ ok: true, dialect: 'plain', alerts: [{ action: 'sell', symbol: 'BTCUSDT' }, { action: 'buy', symbol: 'ETHUSDT' }] });
  });

  it('refuses the whole message when one command is refused', () => {
    expect(refusalOf('close BTCUSDT\nbuy')).toMatchObject({ code: 'malformed_alert', message: 'field "symbol" is required' });
  });

  it('refuses more than the command limit', () => {
    expect(refusalOf(Array.from({ length: MAX_COMMANDS + 1 }, () => 'buy BTCUSDT').join('\n'))).toMatchObject({ field: 'message' });
  });

  it('refuses unresolved placeholders in JSON and in text', () => {
    expect(refusalOf({ ticker: '{{ticker}}', action: 'buy' })).toMatchObject({ code: 'unresolved_placeholder', field: 'ticker' });
    expect(refusalOf('buy {{ticker}} 1')).toMatchObject({ code: 'unresolved_placeholder', field: 'message' });
  });

  it('never puts the secret in a refusal', () => {
    for (const body of [
      { passphrase: SECRET },
      { passphrase: SECRET, ticker: 'X', action: 'hodl' },
      { key: { nested: SECRET }, ticker: 'X' },
      `${SECRET},buy`,
      `${SECRET}|x|hodl|BTCUSDT`,
      `buy BTCUSDT secret=${SECRET} extra words`,
      `{"secret": "${SECRET}", "ticker": `,
      { secret: `{{${SECRET}}}` },
    ]) {
      const r = parseAlertMessage(typeof body === 'string' ? body : JSON.stringify(body));
      expect(JSON.stringify(r)).not.toContain(SECRET.slice(0, 12));
    }
  });

  it('keeps our own JSON exactly as before', () => {
    expect(alertsOf({ symbol: 'BTCUSDT', action: 'buy', quantity: '0.5', size_type: 'base', order_type: 'limit', limit_price: 100 })).toEqual([
      { symbol: 'BTCUSDT', action: 'buy', orderType: 'limit', quantity: 0.5, sizeType: 'base', limitPrice: 100 },
    ]);
  });
});
