/**
 * Secrets at rest (exchange credentials, webhook signing keys) encrypted with AES-256-GCM
 * under a master key from the environment. GCM authenticates as well as encrypts, so a
 * modified blob fails to decrypt instead of yielding a different key; the AAD binds a blob
 * to what it is (`userId|exchange|field`), so a blob copied onto another user's record or
 * into another field fails the same way.
 *
 * Several master keys may be configured (the first encrypts, all decrypt). Every blob names
 * the key that sealed it (`v2.<key id>.…`), so decryption picks that key and a rotation can
 * tell which blobs still need re-encrypting. The key id is derived from the key (an HMAC of
 * a fixed label), so operators never name keys and an id reveals nothing about the key.
 *
 * `v1` blobs (before key ids) had the user id alone as AAD and no key id: they still decrypt,
 * with every configured key tried, until `npm run rotate-master-key` rewrites them as `v2`.
 *
 * Errors never include a key, a blob or a plaintext: they end up in logs.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VARIABLE = 'EXCHANGE_KEYS_MASTER_KEY';
const KEY_ERROR = `${VARIABLE} must be 32 bytes, hex or base64`;
const V1 = 'v1';
const V2 = 'v2';
const IV_BYTES = 12; // the GCM standard size: other sizes are hashed into one, with no benefit
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;
const KEY_ID = /^[0-9a-f]{16}$/;

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

/** 16 hex characters naming a key; a one-way function of it, so safe to store and log. */
export function masterKeyId(key: Buffer): string {
  checkKey(key);
  return createHmac('sha256', key).update('tbot master key id v1').digest('hex').slice(0, 16);
}

export interface MasterKey {
  id: string;
  key: Buffer;
}

/** The configured master keys: `current` encrypts, every key decrypts what names its id. */
export class MasterKeyring {
  readonly current: MasterKey;
  private readonly byId = new Map<string, Buffer>();

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error(`${VARIABLE}: at least one key is needed`);
    for (const key of keys) this.byId.set(masterKeyId(key), key);
    const first = keys[0] as Buffer;
    this.current = { id: masterKeyId(first), key: first };
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.byId.get(id);
  }

  keys(): Buffer[] {
    return [...this.byId.values()];
  }
}

/**
 * `EXCHANGE_KEYS_MASTER_KEY`: one key, or comma-separated `new,old,…` while rotating. The
 * error names the position of a bad key, never its value.
 */
export function parseMasterKeys(value: string): MasterKeyring {
  const parts = (typeof value === 'string' ? value : '').split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error(`${VARIABLE} is required`);
  const keys = parts.map((part, i) => {
    try {
      return parseMasterKey(part);
    } catch {
      throw new Error(parts.length === 1 ? KEY_ERROR : `${VARIABLE}: key ${i + 1} of ${parts.length} must be 32 bytes, hex or base64`);
    }
  });
  return new MasterKeyring(keys);
}

/**
 * The AAD of a stored secret: whose it is, for what, and which field. `|` separates the parts,
 * so no part may contain one (else `a|b` + `c` and `a` + `b|c` would seal alike).
 */
export function secretContext(userId: string, purpose: string, field: string): string {
  for (const part of [userId, purpose, field]) {
    if (typeof part !== 'string' || part === '' || part.includes('|')) throw new Error('secret context parts must be non-empty and without "|"');
  }
  return `${userId}|${purpose}|${field}`;
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new Error('encryption key must be 32 bytes');
}

/** A `v2` blob sealed under the ring's current key with `aad` (see secretContext). */
export function encryptSecret(plain: string, ring: MasterKeyring, aad: string): string {
  const { id, key } = ring.current;
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [V2, id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export interface Decrypted {
  plain: string;
  /** False for a `v1` blob or one sealed under an older key: a rotation should rewrite it. */
  current: boolean;
}

const fail = (): Error => new Error('cannot decrypt secret: wrong key, wrong context or tampered data');

/**
 * Opens a `v2` blob with the key it names and `aad`, or a `v1` blob with `legacyAad` (the
 * user id) and whichever configured key fits. Without `legacyAad`, `v1` is refused: only
 * exchange credentials were ever written that way.
 */
export function decryptSecret(blob: string, ring: MasterKeyring, aad: string, legacyAad?: string): Decrypted {
  if (typeof blob !== 'string') throw fail();
  const parts = blob.split('.');
  if (parts[0] === V2 && parts.length === 5 && KEY_ID.test(parts[1] as string) && parts.slice(2).every((p) => B64URL.test(p))) {
    const key = ring.key(parts[1] as string);
    if (!key) throw new Error('cannot decrypt secret: sealed under a master key that is not configured');
    return { plain: open(key, parts[2] as string, parts[3] as string, parts[4] as string, aad), current: parts[1] === ring.current.id };
  }
  if (parts[0] === V1 && parts.length === 4 && parts.slice(1).every((p) => B64URL.test(p)) && legacyAad !== undefined) {
    // No key id: every key is tried. GCM's tag tells the right one apart, at one AES pass each.
    for (const key of ring.keys()) {
      try {
        return { plain: open(key, parts[1] as string, parts[2] as string, parts[3] as string, legacyAad), current: false };
      } catch {
        // the next key
      }
    }
    throw fail();
  }
  throw new Error('cannot decrypt secret: not an encrypted value of a known version');
}

/** The key id a blob names; null for `v1` (or anything else). */
export function blobKeyId(blob: string): string | null {
  const parts = typeof blob === 'string' ? blob.split('.') : [];
  return parts[0] === V2 && parts.length === 5 && KEY_ID.test(parts[1] as string) ? (parts[1] as string) : null;
}

function open(key: Buffer, ivText: string, tagText: string, ciphertextText: string, aad: string): string {
  checkKey(key);
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  const ciphertext = Buffer.from(ciphertextText, 'base64url');
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
