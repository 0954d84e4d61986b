import { randomBytes } from 'node:crypto';
import { legacyV1 } from './support/legacy-blob';
import {
  blobKeyId,
  decryptSecret,
  encryptSecret,
  masterKeyId,
  MasterKeyring,
  parseMasterKey,
  parseMasterKeys,
  secretContext,
} from '../src/credentials-crypto';

const KEY_ERROR = 'EXCHANGE_KEYS_MASTER_KEY must be 32 bytes, hex or base64';

describe('parseMasterKey', () => {
  const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 251) % 256));

  it.each([
    ['lower-case hex', bytes.toString('hex')],
    ['upper-case hex', bytes.toString('hex').toUpperCase()],
    ['base64 with padding', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['base64 with surrounding whitespace', `  ${bytes.toString('base64')}\n`],
  ])('reads %s', (_name, value) => {
    expect(parseMasterKey(value).equals(bytes)).toBe(true);
  });

  it('the test key uses both base64 alphabets’ special characters', () => {
    // Makes the base64/base64url cases above meaningful.
    expect(bytes.toString('base64')).toMatch(/[+/]/);
    expect(bytes.toString('base64url')).toMatch(/[-_]/);
  });

  const secretLooking = 'c2VjcmV0LWtleS12YWx1ZS10aGF0LW11c3Qtbm90LWxlYWs';
  it.each([
    ['empty', ''],
    ['31 bytes hex', randomBytes(31).toString('hex')],
    ['33 bytes hex', randomBytes(33).toString('hex')],
    ['31 bytes base64', randomBytes(31).toString('base64')],
    ['33 bytes base64', randomBytes(33).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
    ['base64 with a stray character', `${bytes.toString('base64url').slice(0, 42)}!`],
    ['base64 with two padding characters', `${bytes.toString('base64url')}==`],
    ['base64 with non-canonical trailing bits', `${bytes.toString('base64url').slice(0, 42)}${bytes.toString('base64url').endsWith('B') ? 'C' : 'B'}`],
    ['a secret-looking value', secretLooking],
  ])('refuses %s without echoing it', (_name, value) => {
    let message = '';
    try {
      parseMasterKey(value);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(KEY_ERROR);
  });

  it('refuses a non-string', () => {
    expect(() => parseMasterKey(undefined as unknown as string)).toThrow(KEY_ERROR);
  });
});

describe('parseMasterKeys', () => {
  const [a, b] = [randomBytes(32), randomBytes(32)];

  it('reads one key (the variable as it always was) as the current one', () => {
    const ring = parseMasterKeys(a.toString('hex'));
    expect(ring.current.key.equals(a)).toBe(true);
    expect(ring.ids).toEqual([masterKeyId(a)]);
  });

  it('reads new,old: the first encrypts, both decrypt', () => {
    const ring = parseMasterKeys(` ${b.toString('base64')} , ${a.toString('hex')} `);
    expect(ring.current.id).toBe(masterKeyId(b));
    expect(ring.key(masterKeyId(a))?.equals(a)).toBe(true);
    expect(ring.ids).toHaveLength(2);
  });

  it('names the position of a bad key, never its value', () => {
    const bad = 'c2VjcmV0LWtleS12YWx1ZS10aGF0LW11c3Qtbm90LWxlYWs';
    expect(() => parseMasterKeys(`${a.toString('hex')},${bad}`)).toThrow(/^EXCHANGE_KEYS_MASTER_KEY: key 2 of 2 must be 32 bytes, hex or base64$/);
    expect(() => parseMasterKeys(bad)).toThrow(/^EXCHANGE_KEYS_MASTER_KEY must be 32 bytes, hex or base64$/);
    expect(() => parseMasterKeys(' , ')).toThrow('EXCHANGE_KEYS_MASTER_KEY is required');
  });

  it('derives key ids that are stable, distinct and not the key', () => {
    expect(masterKeyId(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyId(a)).toBe(masterKeyId(Buffer.from(a)));
    expect(masterKeyId(a)).not.toBe(masterKeyId(b));
    expect(a.toString('hex')).not.toContain(masterKeyId(a));
  });
});

describe('secretContext', () => {
  it('binds user, purpose and field', () => {
    expect(secretContext('u1', 'okx', 'apiSecret')).toBe('u1|okx|apiSecret');
  });

  it.each([['', 'okx', 'apiKey'], ['u1', 'ok|x', 'apiKey'], ['u1', 'okx', '']])('refuses an ambiguous part %#', (u, p, f) => {
    expect(() => secretContext(u, p, f)).toThrow('secret context parts must be non-empty and without "|"');
  });
});

describe('encryptSecret / decryptSecret', () => {
  const key = randomBytes(32);
  const ring = new MasterKeyring([key]);
  const aad = secretContext('user-42', 'okx', 'apiSecret');
  const plain = 'okx-api-secret-ABCDEF0123456789';

  it('round-trips, including empty and non-ASCII text', () => {
    for (const text of [plain, '', 'pass phrase with spaces ✓ é', 'x'.repeat(10_000)]) {
      expect(decryptSecret(encryptSecret(text, ring, aad), ring, aad)).toEqual({ plain: text, current: true });
    }
  });

  it('has the v2.<key id>.<iv>.<tag>.<ciphertext> layout with a 12-byte IV and 16-byte tag', () => {
    const blob = encryptSecret(plain, ring, aad);
    const parts = blob.split('.');
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('v2');
    expect(parts[1]).toBe(masterKeyId(key));
    expect(blobKeyId(blob)).toBe(masterKeyId(key));
    for (const p of parts.slice(2)) expect(p).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(parts[2] as string, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[3] as string, 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[4] as string, 'base64url')).toHaveLength(Buffer.byteLength(plain));
  });

  it('does not contain the plaintext', () => {
    const blob = encryptSecret(plain, ring, aad);
    expect(blob).not.toContain(plain);
    expect(Buffer.from(blob.split('.')[4] as string, 'base64url').toString('utf8')).not.toContain('okx-api');
  });

  it('uses a fresh IV each time', () => {
    const a = encryptSecret(plain, ring, aad);
    const b = encryptSecret(plain, ring, aad);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  describe('with several master keys', () => {
    const newKey = randomBytes(32);
    const rotated = new MasterKeyring([newKey, key]);

    it('decrypts a blob of the old key with the key its id names, and says it is not current', () => {
      const old = encryptSecret(plain, ring, aad);
      expect(decryptSecret(old, rotated, aad)).toEqual({ plain, current: false });
      const fresh = encryptSecret(plain, rotated, aad);
      expect(blobKeyId(fresh)).toBe(masterKeyId(newKey));
      expect(decryptSecret(fresh, rotated, aad)).toEqual({ plain, current: true });
    });

    it('refuses a blob whose key is no longer configured, without a secret in the message', () => {
      const old = encryptSecret(plain, ring, aad);
      expect(() => decryptSecret(old, new MasterKeyring([newKey]), aad)).toThrow('cannot decrypt secret: sealed under a master key that is not configured');
    });

    it('refuses a blob whose key id was changed to another configured key', () => {
      const old = encryptSecret(plain, ring, aad).split('.');
      old[1] = masterKeyId(newKey);
      expect(() => decryptSecret(old.join('.'), rotated, aad)).toThrow('cannot decrypt secret: wrong key, wrong context or tampered data');
    });
  });

  describe('v1 blobs written before key ids (AAD = user id)', () => {
    const legacy = legacyV1(plain, key, 'user-42');

    it('still decrypt, with the user id as legacy AAD, under any configured key, marked not current', () => {
      expect(blobKeyId(legacy)).toBeNull();
      expect(decryptSecret(legacy, ring, aad, 'user-42')).toEqual({ plain, current: false });
      expect(decryptSecret(legacy, new MasterKeyring([randomBytes(32), key]), aad, 'user-42')).toEqual({ plain, current: false });
    });

    it('are refused for another user, without the legacy AAD, or once their key is gone', () => {
      expect(() => decryptSecret(legacy, ring, aad, 'user-43')).toThrow('cannot decrypt secret: wrong key, wrong context or tampered data');
      expect(() => decryptSecret(legacy, ring, aad)).toThrow('cannot decrypt secret: not an encrypted value of a known version');
      expect(() => decryptSecret(legacy, new MasterKeyring([randomBytes(32)]), aad, 'user-42')).toThrow(/cannot decrypt secret/);
    });
  });

  describe('refuses', () => {
    const blob = encryptSecret(plain, ring, aad);
    const parts = blob.split('.') as [string, string, string, string, string];
    const flip = (b64: string, index = 0): string => {
      const buf = Buffer.from(b64, 'base64url');
      buf[index] = (buf[index] as number) ^ 0x01;
      return buf.toString('base64url');
    };
    const join = (iv: string, tag: string, ct: string) => [parts[0], parts[1], iv, tag, ct].join('.');

    it.each([
      ['another user', () => decryptSecret(blob, ring, secretContext('user-43', 'okx', 'apiSecret'))],
      ['another field of the same user', () => decryptSecret(blob, ring, secretContext('user-42', 'okx', 'passphrase'))],
      ['another exchange', () => decryptSecret(blob, ring, secretContext('user-42', 'binance', 'apiSecret'))],
      ['the webhook signing-key purpose', () => decryptSecret(blob, ring, secretContext('user-42', 'tradingview', 'signing-key'))],
      ['the legacy AAD (user id alone)', () => decryptSecret(blob, ring, 'user-42', 'user-42')],
      ['an empty aad', () => decryptSecret(blob, ring, '')],
      ['a flipped ciphertext bit', () => decryptSecret(join(parts[2], parts[3], flip(parts[4])), ring, aad)],
      ['a flipped last ciphertext bit', () => decryptSecret(join(parts[2], parts[3], flip(parts[4], Buffer.from(parts[4], 'base64url').length - 1)), ring, aad)],
      ['a flipped tag bit', () => decryptSecret(join(parts[2], flip(parts[3]), parts[4]), ring, aad)],
      ['a flipped IV bit', () => decryptSecret(join(flip(parts[2]), parts[3], parts[4]), ring, aad)],
      ['a truncated tag', () => decryptSecret(join(parts[2], Buffer.from(parts[3], 'base64url').subarray(0, 12).toString('base64url'), parts[4]), ring, aad)],
      ['a truncated ciphertext', () => decryptSecret(join(parts[2], parts[3], parts[4].slice(0, -4)), ring, aad)],
      ['a swapped ciphertext from another blob', () => decryptSecret(join(parts[2], parts[3], encryptSecret('other', ring, aad).split('.')[4]!), ring, aad)],
      ['a short IV', () => decryptSecret(join(randomBytes(8).toString('base64url'), parts[3], parts[4]), ring, aad)],
    ])('%s', (_name, run) => {
      expect(run).toThrow(/^cannot decrypt secret: wrong key, wrong context or tampered data$/);
    });

    it.each([
      ['another version', `v3.${parts.slice(1).join('.')}`],
      ['too few parts', parts.slice(0, 4).join('.')],
      ['too many parts', `${blob}.AA`],
      ['a malformed key id', [parts[0], 'NOTHEX', ...parts.slice(2)].join('.')],
      ['non-base64url characters', join(`${parts[2]}+`, parts[3], parts[4])],
      ['an empty string', ''],
      ['plain text', plain],
      ['a non-string', 42 as unknown as string],
    ])('%s as not a known value', (_name, bad) => {
      expect(() => decryptSecret(bad, ring, aad, 'user-42')).toThrow(/^cannot decrypt secret/);
    });

    it('without leaking the plaintext, the key or the blob in the error', () => {
      for (const run of [() => decryptSecret(blob, ring, 'other'), () => decryptSecret(blob.slice(0, -3), ring, aad)]) {
        try {
          run();
          throw new Error('expected a failure');
        } catch (e) {
          const m = (e as Error).message;
          expect(m).not.toContain(plain);
          expect(m).not.toContain(parts[4]);
          expect(m).not.toContain(key.toString('hex'));
          expect(m).not.toContain(key.toString('base64url'));
        }
      }
    });
  });
});
