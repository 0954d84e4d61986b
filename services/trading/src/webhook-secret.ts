/**
 * The per-user credentials that authenticate TradingView alerts: pure functions only.
 *
 * TradingView cannot send custom headers or sign requests, so the secret travels inside the
 * alert body; we keep only its SHA-256 so a database leak does not hand out working secrets.
 * A plain unsalted hash is enough because the secret is 256 random bits, not a password.
 *
 * Clients that can set headers (scripts, other bots) may instead sign the body with
 * `X-Signature`, keyed with a signing key of its own. An HMAC needs the key itself on the
 * server, so it is stored encrypted under the master key (see webhook-auth.ts): a database
 * read yields neither a secret nor anything that signs. (It used to be keyed with the
 * stored hash, which a database read revealed.)
 *
 * A rotation keeps the previous pair valid for an overlap, so clients switch without
 * dropping alerts.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** 256 random bits as base64url text; the text (its UTF-8 bytes) is the HMAC key. */
export function generateSigningKey(): string {
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

/** X-Signature: sha256=<hex HMAC-SHA256 of the raw body>, keyed with the user's signing key. */
export function signatureMatches(rawBody: Buffer, header: string | undefined, signingKey: string): boolean {
  if (typeof header !== 'string' || typeof signingKey !== 'string' || signingKey === '') return false;
  const m = SIGNATURE.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', signingKey).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(m[1] as string, 'hex'));
}

/** What a client sends as X-Signature (tests, harness, bench and the README use this form). */
export function signBody(rawBody: Buffer | string, signingKey: string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return `sha256=${createHmac('sha256', signingKey).update(body).digest('hex')}`;
}

/** A stored webhook record as far as authentication goes (see models.ts). */
export interface WebhookSecretRecord {
  hash: string;
  signingKeyEnc?: string | null;
  previousHash?: string | null;
  previousSigningKeyEnc?: string | null;
  previousValidUntil?: Date | null;
  rotatedAt: Date;
}

export interface AcceptedPair {
  hash: string;
  /** Null on records from before signing keys: such a pair takes body secrets only. */
  signingKeyEnc: string | null;
}

/** The pairs valid at `now`: the current one, and the previous one until its overlap ends. */
export function acceptedPairs(record: WebhookSecretRecord, now: Date): AcceptedPair[] {
  const pairs: AcceptedPair[] = [{ hash: record.hash, signingKeyEnc: record.signingKeyEnc ?? null }];
  if (record.previousHash && record.previousValidUntil && record.previousValidUntil.getTime() > now.getTime()) {
    pairs.push({ hash: record.previousHash, signingKeyEnc: record.previousSigningKeyEnc ?? null });
  }
  return pairs;
}

/**
 * The record after a rotation to a new pair: the current pair becomes the previous one for
 * `overlapSeconds` (0: not at all). A pair that was already previous is dropped, so rotating
 * twice quickly leaves the first secret invalid at once: a rotation after a leak stays one step.
 */
export function rotatedRecord(
  existing: WebhookSecretRecord | null,
  fresh: { hash: string; signingKeyEnc: string },
  now: Date,
  overlapSeconds: number,
): WebhookSecretRecord {
  const keepPrevious = existing !== null && overlapSeconds > 0;
  return {
    hash: fresh.hash,
    signingKeyEnc: fresh.signingKeyEnc,
    previousHash: keepPrevious ? existing.hash : null,
    previousSigningKeyEnc: keepPrevious ? (existing.signingKeyEnc ?? null) : null,
    previousValidUntil: keepPrevious ? new Date(now.getTime() + overlapSeconds * 1000) : null,
    rotatedAt: now,
  };
}
