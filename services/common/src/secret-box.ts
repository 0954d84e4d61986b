/**
 * Secrets at rest, sealed with AES-256-GCM under a master key from the environment. Used by
 * trading (exchange credentials, TradingView signing keys) and notifications (outbound
 * webhook secrets); each service names its own variable and its own AAD.
 *
 * GCM authenticates as well as encrypts, so a modified blob fails to open instead of yielding
 * a different secret; the AAD binds a blob to what it is (e.g. `userId|okx|apiKey`), so a blob
 * copied onto another record or field fails the same way.
 *
 * Several master keys may be configured (`new,old`: the first seals, all open). Every blob
 * names the key that sealed it (`v2.<key id>.<iv>.<tag>.<ciphertext>`, base64url), so opening
 * picks that key and a rotation can tell which blobs still need re-sealing. The key id is an
 * HMAC of a fixed label: operators never name keys, and an id reveals nothing about the key.
 *
 * Errors never include a key, a blob or a plaintext: they end up in logs.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const V2 = 'v2';
const IV_BYTES = 12; // the GCM standard size: other sizes are hashed into one, with no benefit
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;
const KEY_ID = /^[0-9a-f]{16}$/;

const keyError = (variable: string) => `${variable} must be 32 bytes, hex or base64`;

/** One 32-byte key, hex or base64 (either alphabet); `variable` names it in the error, never the value. */
export function parseMasterKey(value: string, variable = 'master key'): Buffer {
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
  throw new Error(keyError(variable));
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

/** The configured master keys: `current` seals, every key opens what names its id. */
export class MasterKeyring {
  readonly current: MasterKey;
  private readonly byId = new Map<string, Buffer>();

  constructor(keys: Buffer[], variable = 'master key ring') {
    if (keys.length === 0) throw new Error(`${variable}: at least one key is needed`);
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

/** One key, or comma-separated `new,old,…` while rotating. The error names the position of a bad key, never its value. */
export function parseMasterKeys(value: string, variable: string): MasterKeyring {
  const parts = (typeof value === 'string' ? value : '').split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error(`${variable} is required`);
  const keys = parts.map((part, i) => {
    try {
      return parseMasterKey(part, variable);
    } catch {
      throw new Error(parts.length === 1 ? keyError(variable) : `${variable}: key ${i + 1} of ${parts.length} must be 32 bytes, hex or base64`);
    }
  });
  return new MasterKeyring(keys, variable);
}

/**
 * An AAD from its parts (whose it is, for what, which field). `|` separates them, so no part
 * may contain one (else `a|b` + `c` and `a` + `b|c` would seal alike).
 */
export function secretContext(...parts: string[]): string {
  if (parts.length === 0) throw new Error('secret context parts must be non-empty and without "|"');
  for (const part of parts) {
    if (typeof part !== 'string' || part === '' || part.includes('|')) throw new Error('secret context parts must be non-empty and without "|"');
  }
  return parts.join('|');
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new Error('encryption key must be 32 bytes');
}

/** A `v2` blob sealed under the ring's current key, bound to `aad`. */
export function sealSecret(plain: string, ring: MasterKeyring, aad: string): string {
  const { id, key } = ring.current;
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [V2, id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export interface Opened {
  plain: string;
  /** False when sealed under an older key (or an older format): a rotation should re-seal it. */
  current: boolean;
}

export const openFailure = (): Error => new Error('cannot decrypt secret: wrong key, wrong context or tampered data');
export const unknownFormat = (): Error => new Error('cannot decrypt secret: not an encrypted value of a known version');

/** Whether `blob` has the shape of a `v2` sealed value (says nothing about whether it opens). */
export function isSealed(blob: unknown): blob is string {
  return blobKeyId(blob) !== null;
}

/** Opens a `v2` blob with the key it names and `aad`. */
export function openSecret(blob: string, ring: MasterKeyring, aad: string): Opened {
  if (!isSealed(blob)) throw unknownFormat();
  const parts = blob.split('.');
  const key = ring.key(parts[1] as string);
  if (!key) throw new Error('cannot decrypt secret: sealed under a master key that is not configured');
  return { plain: openGcm(key, parts[2] as string, parts[3] as string, parts[4] as string, aad), current: parts[1] === ring.current.id };
}

/** The key id a blob names; null for anything that is not a `v2` blob. */
export function blobKeyId(blob: unknown): string | null {
  const parts = typeof blob === 'string' ? blob.split('.') : [];
  return parts[0] === V2 && parts.length === 5 && KEY_ID.test(parts[1] as string) && parts.slice(2).every((p) => B64URL.test(p)) ? (parts[1] as string) : null;
}

/** AES-256-GCM open of base64url parts; any failure is the same error (no oracle on which part was wrong). */
export function openGcm(key: Buffer, ivText: string, tagText: string, ciphertextText: string, aad: string): string {
  checkKey(key);
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  const ciphertext = Buffer.from(ciphertextText, 'base64url');
  // Without the length checks a truncated tag would be accepted: GCM then verifies fewer bits.
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw openFailure();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw openFailure();
  }
}
