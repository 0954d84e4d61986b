/**
 * Trading's secrets at rest (exchange credentials, webhook signing keys): the shared sealing
 * of @tbot/common (secret-box.ts: AES-256-GCM, AAD, key ids, a `new,old` key ring) under
 * `EXCHANGE_KEYS_MASTER_KEY`, plus the one thing only trading has: `v1` blobs.
 *
 * `v1` blobs (before key ids) had the user id alone as AAD and no key id: they still open,
 * with every configured key tried, until `npm run rotate-master-key` rewrites them as `v2`.
 *
 * Errors never include a key, a blob or a plaintext: they end up in logs.
 */
import {
  blobKeyId,
  MasterKeyring as SharedKeyring,
  openFailure,
  openGcm,
  openSecret,
  parseMasterKey as parseSharedKey,
  parseMasterKeys as parseSharedKeys,
  sealSecret,
  secretContext as sharedContext,
  unknownFormat,
  type Opened,
} from '@tbot/common';

export { blobKeyId, masterKeyId, type MasterKey } from '@tbot/common';

const VARIABLE = 'EXCHANGE_KEYS_MASTER_KEY';
const V1 = 'v1';
const B64URL = /^[A-Za-z0-9_-]*$/;

export const parseMasterKey = (value: string): Buffer => parseSharedKey(value, VARIABLE);

/** The configured master keys: `current` encrypts, every key decrypts what names its id. */
export class MasterKeyring extends SharedKeyring {
  constructor(keys: Buffer[]) {
    super(keys, VARIABLE);
  }
}

/** `EXCHANGE_KEYS_MASTER_KEY`: one key, or comma-separated `new,old,…` while rotating. */
export const parseMasterKeys = (value: string): MasterKeyring => new MasterKeyring(parseSharedKeys(value, VARIABLE).keys());

/** The AAD of a stored secret: `userId|purpose|field`. */
export const secretContext = (userId: string, purpose: string, field: string): string => sharedContext(userId, purpose, field);

/** A `v2` blob sealed under the ring's current key with `aad` (see secretContext). */
export const encryptSecret = (plain: string, ring: SharedKeyring, aad: string): string => sealSecret(plain, ring, aad);

export type Decrypted = Opened;

/**
 * Opens a `v2` blob with the key it names and `aad`, or a `v1` blob with `legacyAad` (the
 * user id) and whichever configured key fits. Without `legacyAad`, `v1` is refused: only
 * exchange credentials were ever written that way.
 */
export function decryptSecret(blob: string, ring: SharedKeyring, aad: string, legacyAad?: string): Decrypted {
  if (typeof blob !== 'string') throw openFailure();
  if (blobKeyId(blob) !== null) return openSecret(blob, ring, aad);
  const parts = blob.split('.');
  if (parts[0] === V1 && parts.length === 4 && parts.slice(1).every((p) => B64URL.test(p)) && legacyAad !== undefined) {
    // No key id: every key is tried. GCM's tag tells the right one apart, at one AES pass each.
    for (const key of ring.keys()) {
      try {
        return { plain: openGcm(key, parts[1] as string, parts[2] as string, parts[3] as string, legacyAad), current: false };
      } catch {
        // the next key
      }
    }
    throw openFailure();
  }
  throw unknownFormat();
}
