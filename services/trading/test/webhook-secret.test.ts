import { createHash, createHmac } from 'node:crypto';
import {
  acceptedPairs,
  generateSigningKey,
  generateWebhookSecret,
  hashWebhookSecret,
  rotatedRecord,
  secretMatches,
  signatureMatches,
  signBody,
  type WebhookSecretRecord,
} from '../src/webhook-secret';

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
    const secret = generateWebhookSecret();
    const stored = hashWebhookSecret(secret);
    const signingKey = generateSigningKey();
    const body = Buffer.from('{"symbol":"BTCUSDT","action":"buy"}');

    it('makes signing keys of 256 random bits, unlike the secret', () => {
      expect(signingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(signingKey).not.toBe(secret);
    });

    it('signs with HMAC-SHA256 keyed with the signing key text', () => {
      const expected = createHmac('sha256', signingKey).update(body).digest('hex');
      expect(signBody(body, signingKey)).toBe(`sha256=${expected}`);
      expect(signBody(body.toString('utf8'), signingKey)).toBe(`sha256=${expected}`);
    });

    it('verifies what signBody produces', () => {
      expect(signatureMatches(body, signBody(body, signingKey), signingKey)).toBe(true);
    });

    it('accepts an upper-case hex signature and prefix, and surrounding whitespace', () => {
      const sig = signBody(body, signingKey);
      expect(signatureMatches(body, sig.toUpperCase(), signingKey)).toBe(true);
      expect(signatureMatches(body, ` ${sig} `, signingKey)).toBe(true);
    });

    it('signs the exact bytes, including non-ASCII text', () => {
      const text = '{"strategy":"Stratégie ✓"}';
      expect(signatureMatches(Buffer.from(text, 'utf8'), signBody(text, signingKey), signingKey)).toBe(true);
      expect(signatureMatches(Buffer.from(text, 'latin1'), signBody(text, signingKey), signingKey)).toBe(false);
    });

    it.each([
      ['a changed body', () => signatureMatches(Buffer.from('{"symbol":"BTCUSDT","action":"sell"}'), signBody(body, signingKey), signingKey)],
      ['an extra space in the body', () => signatureMatches(Buffer.from(`${body.toString()} `), signBody(body, signingKey), signingKey)],
      ['another signing key', () => signatureMatches(body, signBody(body, generateSigningKey()), signingKey)],
      // What a database read shows (the stored hash) must not sign: it did before signing keys.
      ['keyed with the stored hash of the secret', () => signatureMatches(body, signBody(body, stored), signingKey)],
      ['keyed with the body secret', () => signatureMatches(body, signBody(body, secret), signingKey)],
      ['a missing header', () => signatureMatches(body, undefined, signingKey)],
      ['an empty header', () => signatureMatches(body, '', signingKey)],
      ['no prefix', () => signatureMatches(body, signBody(body, signingKey).slice('sha256='.length), signingKey)],
      ['another scheme', () => signatureMatches(body, signBody(body, signingKey).replace('sha256', 'sha1'), signingKey)],
      ['a truncated digest', () => signatureMatches(body, signBody(body, signingKey).slice(0, -2), signingKey)],
      ['a digest with a flipped character', () => {
        const sig = signBody(body, signingKey);
        const last = sig.endsWith('0') ? '1' : '0';
        return signatureMatches(body, sig.slice(0, -1) + last, signingKey);
      }],
      ['a non-hex digest', () => signatureMatches(body, `sha256=${'g'.repeat(64)}`, signingKey)],
      ['an empty signing key', () => signatureMatches(body, signBody(body, ''), '')],
    ])('refuses %s', (_name, check) => {
      expect(check()).toBe(false);
    });
  });

  describe('rotation and overlap', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const first = { hash: 'a'.repeat(64), signingKeyEnc: 'enc-a' };
    const second = { hash: 'b'.repeat(64), signingKeyEnc: 'enc-b' };
    const third = { hash: 'c'.repeat(64), signingKeyEnc: 'enc-c' };

    it('a first rotation has nothing to keep', () => {
      const r = rotatedRecord(null, first, t0, 86_400);
      expect(r).toEqual({ ...first, previousHash: null, previousSigningKeyEnc: null, previousValidUntil: null, rotatedAt: t0 });
      expect(acceptedPairs(r, t0)).toEqual([first]);
    });

    it('keeps the previous pair valid for the overlap, then only the new one', () => {
      const r = rotatedRecord(rotatedRecord(null, first, t0, 60), second, at(10), 60);
      expect(r.previousValidUntil).toEqual(at(70));
      expect(acceptedPairs(r, at(10))).toEqual([second, first]);
      expect(acceptedPairs(r, at(69.999))).toEqual([second, first]);
      expect(acceptedPairs(r, at(70))).toEqual([second]);
      expect(acceptedPairs(r, at(1_000))).toEqual([second]);
    });

    it('with an overlap of 0 the previous pair ends at once', () => {
      const r = rotatedRecord(rotatedRecord(null, first, t0, 0), second, at(10), 0);
      expect(acceptedPairs(r, at(10))).toEqual([second]);
      expect(r.previousHash).toBeNull();
    });

    it('rotating again during the overlap drops the oldest pair at once', () => {
      const r = rotatedRecord(rotatedRecord(rotatedRecord(null, first, t0, 60), second, at(1), 60), third, at(2), 60);
      expect(acceptedPairs(r, at(2))).toEqual([third, second]);
    });

    it('reads records from before signing keys (hash only): body secrets, no signing key', () => {
      const legacy: WebhookSecretRecord = { hash: first.hash, rotatedAt: t0 };
      expect(acceptedPairs(legacy, t0)).toEqual([{ hash: first.hash, signingKeyEnc: null }]);
      const r = rotatedRecord(legacy, second, at(5), 60);
      expect(acceptedPairs(r, at(6))).toEqual([second, { hash: first.hash, signingKeyEnc: null }]);
    });
  });
});
