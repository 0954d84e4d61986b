/**
 * The per-user webhook secret that authenticates TradingView alerts.
 *
 * TradingView cannot send custom headers or sign requests, so the secret travels inside the
 * alert body; we keep only its SHA-256 so a database leak does not hand out working secrets.
 * A plain unsalted hash is enough because the secret is 256 random bits, not a password.
 *
 * Clients that can set headers (scripts, other bots) may instead sign the body with
 * `X-Signature`. Since the server holds only the hash, the HMAC key is that hash (as hex text);
 * a client derives it from its secret, so the secret itself still never crosses the wire.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashWebhookSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Compares digests rather than the strings so that the comparison takes the same time whatever
 * the given value's length or content; a malformed stored hash never matches anything.
 */
export function secretMatches(given: string, storedHash: string): boolean {
  if (typeof given !== 'string' || typeof storedHash !== 'string' || !HEX_SHA256.test(storedHash)) return false;
  const givenDigest = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(givenDigest, Buffer.from(storedHash, 'hex'));
}

/** X-Signature: sha256=<hex HMAC-SHA256 of the raw body>, keyed with the hex SHA-256 of the secret (the stored hash), since only the hash is kept. */
export function signatureMatches(rawBody: Buffer, header: string | undefined, storedHash: string): boolean {
  if (typeof header !== 'string' || typeof storedHash !== 'string' || !HEX_SHA256.test(storedHash)) return false;
  const m = SIGNATURE.exec(header.trim());
  if (!m) return false;
  // Lower-cased because the client keys with the lower-case hex that hashWebhookSecret produces.
  const expected = createHmac('sha256', storedHash.toLowerCase()).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(m[1] as string, 'hex'));
}

export function signBody(rawBody: Buffer | string, secret: string): string {
  const key = hashWebhookSecret(secret);
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}
