import { createLogger } from '../src/logger';

describe('log redaction', () => {
  function logged(obj: object): string {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    logger.info(obj, 'message');
    return lines.join('');
  }

  it.each([
    ['an OKX api secret', { apiSecret: 'S3CRET-api-secret-value' }],
    ['a nested passphrase', { exchange: { credentials: { passphrase: 'S3CRET-passphrase-value' } } }],
    ['a TradingView signing key', { signingKey: 'S3CRET-signing-key-value' }],
    ['a deeply nested secret', { a: { b: { c: { secret: 'S3CRET-deep-value' } } } }],
    ['the TradingView signature header', { req: { headers: { 'x-signature': 'sha256=S3CRET-signature' } } }],
    ['headers of an outgoing call', { call: { headers: { authorization: 'Bearer S3CRET-token-value' } } }],
    ['a Stripe signature header', { headers: { 'stripe-signature': 't=1,v1=S3CRET' } }],
    ['a master key', { config: { masterKey: 'S3CRET-master-key' } }],
  ])('keeps %s out of the line', (_what, obj) => {
    const line = logged(obj);
    expect(line).toContain('[redacted]');
    expect(line).not.toContain('S3CRET');
  });

  it('still logs what is not secret', () => {
    expect(logged({ user_id: 'u1', symbol: 'BTC-USDT' })).toContain('"symbol":"BTC-USDT"');
  });
});
