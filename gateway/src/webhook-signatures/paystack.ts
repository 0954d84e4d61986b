import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureFailure } from './stripe';

/**
 * `x-paystack-signature` is the hex HMAC-SHA512 of the raw body keyed with the secret
 * key (Paystack has no separate webhook secret and signs no timestamp).
 */
export function verifyPaystackSignature(
  rawBody: Buffer,
  header: string | undefined,
  secretKey: string,
): { ok: true } | { ok: false; reason: SignatureFailure } {
  if (!header) return { ok: false, reason: 'missing_signature' };
  const value = header.trim();
  if (!/^[0-9a-f]{128}$/i.test(value)) return { ok: false, reason: 'malformed_signature' };
  const expected = createHmac('sha512', secretKey).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(value, 'hex'), expected) ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}

export function signPaystackPayload(rawBody: string | Buffer, secretKey: string): string {
  return createHmac('sha512', secretKey).update(rawBody).digest('hex');
}
