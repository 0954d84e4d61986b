import ccxt from 'ccxt';
import { KEY_REJECTION_CODES, keysRejection } from '../src/exchange/okx-auth';

// ccxt's okx.js throws these with OKX's body in the message; the classes and codes below
// are the ones its `exceptions.exact` table maps OKX's answers to.
const okxError = (Cls: new (m: string) => Error, code: string, msg: string) => new Cls(`okx {"msg":"${msg}","code":"${code}"}`);

describe('keysRejection: OKX refusing the API keys', () => {
  it.each([
    [ccxt.AuthenticationError, '50111', 'Invalid OK-ACCESS-KEY'],
    [ccxt.AuthenticationError, '50113', 'Invalid Sign'],
    [ccxt.AuthenticationError, '50105', 'Request header OK-ACCESS-PASSPHRASE incorrect.'],
    [ccxt.AuthenticationError, '50101', 'APIKey does not match current environment.'],
    [ccxt.AuthenticationError, '50114', 'Invalid authorization'],
    [ccxt.PermissionDenied, '50110', 'Your IP 1.2.3.4 is not in linking trusted IP addresses.'],
    // ccxt maps these to a plain ExchangeError, yet they are about the key too.
    [ccxt.ExchangeError, '50100', 'API frozen, please contact customer service.'],
    [ccxt.ExchangeError, '50119', "API key doesn't exist"],
  ])('%p %s is the keys', (Cls, code, msg) => {
    expect(keysRejection(okxError(Cls, code, msg))).toEqual({ code, message: msg });
  });

  it.each([
    ['50102', 'Timestamp request expired', ccxt.InvalidNonce],
    ['50112', 'Invalid OK-ACCESS-TIMESTAMP', ccxt.AuthenticationError],
    ['50107', 'Request header OK-ACCESS-TIMESTAMP can not be empty.', ccxt.AuthenticationError],
  ])('%s (our clock, not the keys) is not', (code, msg, Cls) => {
    expect(keysRejection(okxError(Cls, code, msg))).toBeUndefined();
  });

  it('is not an order refusal, an outage or anything else', () => {
    expect(keysRejection(new ccxt.InsufficientFunds('okx {"code":"1","data":[{"sCode":"51008","sMsg":"Insufficient USDT balance"}],"msg":"All operations failed"}'))).toBeUndefined();
    expect(keysRejection(new ccxt.RequestTimeout('okx GET https://www.okx.com/api/v5/account/balance request timed out ("code":"50111")'))).toBeUndefined();
    expect(keysRejection(new ccxt.NetworkError('connection reset'))).toBeUndefined();
    expect(keysRejection(new Error('database down'))).toBeUndefined();
    expect(keysRejection('50111')).toBeUndefined();
  });

  it('takes the table’s words when OKX gave none, and ccxt’s own refusal without a code', () => {
    expect(keysRejection(new ccxt.AuthenticationError('okx {"code":"50111"}'))).toEqual({ code: '50111', message: KEY_REJECTION_CODES['50111'] });
    expect(keysRejection(new ccxt.AuthenticationError('okx requires "apiKey" credential'))).toEqual({ code: '', message: 'okx requires "apiKey" credential' });
  });
});
