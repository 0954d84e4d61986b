/**
 * Exchange API credentials encrypted at rest with AES-256-GCM under a master key from the
 * environment. GCM authenticates as well as encrypts, so a modified blob fails to decrypt
 * instead of yielding a different key; the AAD (e.g. the user id) makes a blob copied onto
 * another user's record fail the same way.
 *
 * Errors never include the key, the blob or the plaintext: they end up in logs.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const KEY_ERROR = 'EXCHANGE_KEYS_MASTER_KEY must be 32 bytes, hex or base64';
const VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard size: other sizes are hashed into one, with no benefit
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

export function parseMasterKey(value: string): Buffer {
  const s = typeof value === 'string' ? value.trim() : '';
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  // 32 bytes are 43 base64 characters plus one '=' of padding. Node's decoder silently skips
  // characters outside the alphabet, so the shape is checked first and the bytes re-encoded to
  // reject a value that only decodes to 32 bytes by accident (stray characters, extra bits).
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const key = Buffer.from(s, 'base64');
    const canonical = s.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    if (key.length === 32 && key.toString('base64url') === canonical) return key;
  }
  throw new Error(KEY_ERROR);
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new Error('encryption key must be 32 bytes');
}

export function encryptSecret(plain: string, key: Buffer, aad: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function decryptSecret(blob: string, key: Buffer, aad: string): string {
  checkKey(key);
  const fail = (): Error => new Error('cannot decrypt credential: wrong key, wrong context or tampered data');
  if (typeof blob !== 'string') throw fail();
  const parts = blob.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.every((p) => B64URL.test(p))) {
    throw new Error('cannot decrypt credential: not a v1 encrypted value');
  }
  const iv = Buffer.from(parts[1] as string, 'base64url');
  const tag = Buffer.from(parts[2] as string, 'base64url');
  const ciphertext = Buffer.from(parts[3] as string, 'base64url');
  // Without the length checks a truncated tag would be accepted: GCM then verifies fewer bits.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw fail();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw fail();
  }
}
