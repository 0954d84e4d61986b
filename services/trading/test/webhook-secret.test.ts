import { createHash, createHmac } from 'node:crypto';
import { generateWebhookSecret, hashWebhookSecret, secretMatches, signatureMatches, signBody } from '../src/webhook-secret';

describe('webhook secret', () => {
  describe('generateWebhookSecret', () => {
    it('is 32 random bytes as base64url', () => {
      const s = generateWebhookSecret();
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    });

    it('is different every time', () => {
      const seen = new Set(Array.from({ length: 200 }, () => generateWebhookSecret()));
      expect(seen.size).toBe(200);
    });
  });

  describe('hashWebhookSecret', () => {
    it('is the hex SHA-256 of the UTF-8 secret', () => {
      // echo -n abc | sha256sum
      expect(hashWebhookSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(hashWebhookSecret('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
    });

    it('does not contain the secret', () => {
      const s = generateWebhookSecret();
      expect(hashWebhookSecret(s)).not.toContain(s);
    });
  });

  describe('secretMatches', () => {
    const secret = generateWebhookSecret();
    const stored = hashWebhookSecret(secret);

    it('accepts the secret', () => {
      expect(secretMatches(secret, stored)).toBe(true);
    });

    it('accepts an upper-case stored hash', () => {
      expect(secretMatches(secret, stored.toUpperCase())).toBe(true);
    });

    it.each([
      ['another secret', () => generateWebhookSecret()],
      ['a prefix', () => secret.slice(0, -1)],
      ['an extension', () => `${secret}x`],
      ['the empty string', () => ''],
      ['the stored hash itself', () => stored],
      ['different case', () => secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase()],
      ['surrounding spaces', () => ` ${secret} `],
    ])('refuses %s', (_name, given) => {
      expect(secretMatches(given(), stored)).toBe(false);
    });

    it.each([
      ['empty', ''],
      ['too short', 'abcd'],
      ['too long', `${'a'.repeat(64)}00`],
      ['not hex', 'z'.repeat(64)],
      ['truncated', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015'],
    ])('never matches a malformed stored hash (%s)', (_name, bad) => {
      expect(secretMatches('abc', bad)).toBe(false);
      expect(secretMatches('', bad)).toBe(false);
    });

    it('refuses non-string input without throwing', () => {
      expect(secretMatches(undefined as unknown as string, stored)).toBe(false);
      expect(secretMatches(123 as unknown as string, stored)).toBe(false);
    });
  });

  describe('body signatures', () => {
    const secret = 'test-secret';
    const stored = hashWebhookSecret(secret);
    const body = Buffer.from('{"symbol":"BTCUSDT","action":"buy"}');

    it('signs with HMAC-SHA256 keyed with the hex hash of the secret', () => {
      const expected = createHmac('sha256', stored).update(body).digest('hex');
      expect(signBody(body, secret)).toBe(`sha256=${expected}`);
      expect(signBody(body.toString('utf8'), secret)).toBe(`sha256=${expected}`);
    });

    it('verifies what signBody produces', () => {
      expect(signatureMatches(body, signBody(body, secret), stored)).toBe(true);
    });

    it('accepts an upper-case hex signature, prefix and stored hash, and surrounding whitespace', () => {
      const sig = signBody(body, secret);
      expect(signatureMatches(body, sig.toUpperCase(), stored)).toBe(true);
      expect(signatureMatches(body, ` ${sig} `, stored.toUpperCase())).toBe(true);
    });

    it('signs the exact bytes, including non-ASCII text', () => {
      const text = '{"strategy":"Stratégie ✓"}';
      expect(signatureMatches(Buffer.from(text, 'utf8'), signBody(text, secret), stored)).toBe(true);
      expect(signatureMatches(Buffer.from(text, 'latin1'), signBody(text, secret), stored)).toBe(false);
    });

    it.each([
      ['a changed body', () => signatureMatches(Buffer.from('{"symbol":"BTCUSDT","action":"sell"}'), signBody(body, secret), stored)],
      ['an extra space in the body', () => signatureMatches(Buffer.from(`${body.toString()} `), signBody(body, secret), stored)],
      ['another secret', () => signatureMatches(body, signBody(body, 'other'), stored)],
      ['keyed with the raw secret instead of its hash', () =>
        signatureMatches(body, `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, stored)],
      ['a missing header', () => signatureMatches(body, undefined, stored)],
      ['an empty header', () => signatureMatches(body, '', stored)],
      ['no prefix', () => signatureMatches(body, signBody(body, secret).slice('sha256='.length), stored)],
      ['another scheme', () => signatureMatches(body, signBody(body, secret).replace('sha256', 'sha1'), stored)],
      ['a truncated digest', () => signatureMatches(body, signBody(body, secret).slice(0, -2), stored)],
      ['a digest with a flipped character', () => {
        const sig = signBody(body, secret);
        const last = sig.endsWith('0') ? '1' : '0';
        return signatureMatches(body, sig.slice(0, -1) + last, stored);
      }],
      ['a non-hex digest', () => signatureMatches(body, `sha256=${'g'.repeat(64)}`, stored)],
      ['a malformed stored hash', () => signatureMatches(body, signBody(body, secret), 'nothex')],
    ])('refuses %s', (_name, check) => {
      expect(check()).toBe(false);
    });
  });
});
