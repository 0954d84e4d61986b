import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, parseMasterKey } from '../src/credentials-crypto';

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

describe('encryptSecret / decryptSecret', () => {
  const key = randomBytes(32);
  const aad = 'user:42';
  const plain = 'okx-api-secret-ABCDEF0123456789';

  it('round-trips, including empty and non-ASCII text', () => {
    for (const text of [plain, '', 'pass phrase with spaces ✓ é', 'x'.repeat(10_000)]) {
      expect(decryptSecret(encryptSecret(text, key, aad), key, aad)).toBe(text);
    }
  });

  it('has the v1.<iv>.<tag>.<ciphertext> layout with a 12-byte IV and 16-byte tag', () => {
    const blob = encryptSecret(plain, key, aad);
    const parts = blob.split('.');
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe('v1');
    for (const p of parts.slice(1)) expect(p).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(parts[1] as string, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[2] as string, 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[3] as string, 'base64url')).toHaveLength(Buffer.byteLength(plain));
  });

  it('does not contain the plaintext', () => {
    const blob = encryptSecret(plain, key, aad);
    expect(blob).not.toContain(plain);
    expect(Buffer.from(blob.split('.')[3] as string, 'base64url').toString('utf8')).not.toContain('okx-api');
  });

  it('uses a fresh IV each time', () => {
    const a = encryptSecret(plain, key, aad);
    const b = encryptSecret(plain, key, aad);
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  describe('refuses', () => {
    const blob = encryptSecret(plain, key, aad);
    const parts = blob.split('.') as [string, string, string, string];
    const flip = (b64: string, index = 0): string => {
      const buf = Buffer.from(b64, 'base64url');
      buf[index] = (buf[index] as number) ^ 0x01;
      return buf.toString('base64url');
    };

    it.each([
      ['a wrong key', () => decryptSecret(blob, randomBytes(32), aad)],
      ['a wrong aad (another user)', () => decryptSecret(blob, key, 'user:43')],
      ['an empty aad', () => decryptSecret(blob, key, '')],
      ['a flipped ciphertext bit', () => decryptSecret([parts[0], parts[1], parts[2], flip(parts[3])].join('.'), key, aad)],
      ['a flipped last ciphertext bit', () => decryptSecret([parts[0], parts[1], parts[2], flip(parts[3], Buffer.from(parts[3], 'base64url').length - 1)].join('.'), key, aad)],
      ['a flipped tag bit', () => decryptSecret([parts[0], parts[1], flip(parts[2]), parts[3]].join('.'), key, aad)],
      ['a flipped IV bit', () => decryptSecret([parts[0], flip(parts[1]), parts[2], parts[3]].join('.'), key, aad)],
      ['a truncated tag', () => decryptSecret([parts[0], parts[1], Buffer.from(parts[2], 'base64url').subarray(0, 12).toString('base64url'), parts[3]].join('.'), key, aad)],
      ['a truncated ciphertext', () => decryptSecret([parts[0], parts[1], parts[2], parts[3].slice(0, -4)].join('.'), key, aad)],
      ['a swapped ciphertext from another blob', () => decryptSecret([...parts.slice(0, 3), encryptSecret('other', key, aad).split('.')[3]].join('.'), key, aad)],
      ['a short IV', () => decryptSecret([parts[0], randomBytes(8).toString('base64url'), parts[2], parts[3]].join('.'), key, aad)],
    ])('%s', (_name, run) => {
      expect(run).toThrow(/cannot decrypt credential: wrong key, wrong context or tampered data/);
    });

    it.each([
      ['another version', `v2.${parts.slice(1).join('.')}`],
      ['too few parts', parts.slice(0, 3).join('.')],
      ['too many parts', `${blob}.AA`],
      ['non-base64url characters', `v1.${parts[1]}+.${parts[2]}.${parts[3]}`],
      ['an empty string', ''],
      ['plain text', plain],
    ])('%s as not a v1 value', (_name, bad) => {
      expect(() => decryptSecret(bad, key, aad)).toThrow(/cannot decrypt credential/);
    });

    it('a key of the wrong size', () => {
      expect(() => encryptSecret(plain, randomBytes(16), aad)).toThrow('encryption key must be 32 bytes');
      expect(() => decryptSecret(blob, randomBytes(16), aad)).toThrow('encryption key must be 32 bytes');
    });

    it('without leaking the plaintext, the key or the blob in the error', () => {
      for (const run of [() => decryptSecret(blob, randomBytes(32), aad), () => decryptSecret(blob.slice(0, -3), key, aad)]) {
        try {
          run();
          throw new Error('expected a failure');
        } catch (e) {
          const m = (e as Error).message;
          expect(m).not.toContain(plain);
          expect(m).not.toContain(parts[3]);
          expect(m).not.toContain(key.toString('hex'));
          expect(m).not.toContain(key.toString('base64url'));
        }
      }
    });
  });
});
