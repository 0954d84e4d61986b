import { createCipheriv, randomBytes } from 'node:crypto';

/**
 * A credential as trading encrypted it before key ids: v1.<iv>.<tag>.<ciphertext>, AES-256-GCM
 * with the user id alone as AAD. Written here as that code did, so tests can show such
 * blobs still open and are rewrapped.
 */
export function legacyV1(plain: string, key: Buffer, userId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(userId, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}
