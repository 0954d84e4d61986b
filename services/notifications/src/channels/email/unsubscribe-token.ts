import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens for the one-click unsubscribe link in every email (RFC 8058). The link is opened
 * (or POSTed by the mail client) without a session, so the token itself is the proof: it
 * names the user and the event type (or `*` for every type) and is signed with a server
 * secret. Nothing is stored, so a link keeps working for as long as the token is valid.
 *
 * Format: `<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`; both parts are URL-safe and
 * contain no `.`, so the token can be a path segment or a query value as it is.
 */

/** Mail is read (and unsubscribed from) long after it is sent: a year, not hours. */
export const UNSUBSCRIBE_TOKEN_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/** `*` unsubscribes from every event type. */
export const ALL_EVENT_TYPES = '*';

export interface UnsubscribeClaims {
  userId: string;
  /** An event type ("order.filled") or `*`. */
  type: string;
}

export type UnsubscribeTokenCheck =
  | { ok: true; userId: string; type: string; expiresAt: Date }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

// Version and purpose go into what is signed, so a MAC made with the same secret for
// anything else (another token kind, a later format) never verifies as this one.
const SIGNING_CONTEXT = 'tbot.unsubscribe.v1.';
const MIN_SECRET_LENGTH = 32;
const MAX_FIELD_LENGTH = 200;

interface WireClaims {
  u: string;
  t: string;
  /** Expiry, Unix seconds. */
  e: number;
}

export function signUnsubscribeToken(
  secret: string,
  claims: UnsubscribeClaims,
  now: Date = new Date(),
  ttlMs: number = UNSUBSCRIBE_TOKEN_TTL_MS,
): string {
  checkSecret(secret);
  if (!validField(claims.userId) || !validField(claims.type)) {
    throw new Error('unsubscribe token: userId and type must be non-empty strings of at most 200 characters');
  }
  const wire: WireClaims = { u: claims.userId, t: claims.type, e: Math.floor((now.getTime() + ttlMs) / 1000) };
  const payload = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Checks a token from a link. `secret` may be a list during a secret rotation: the token
 * verifies if any of them signed it (sign with the first, keep the old one for a TTL).
 */
export function verifyUnsubscribeToken(
  secret: string | readonly string[],
  token: string,
  now: Date = new Date(),
): UnsubscribeTokenCheck {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new Error('unsubscribe token: no secret to verify with');
  secrets.forEach(checkSecret);

  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];
  if (!isBase64Url(payload) || !isBase64Url(signature)) return { ok: false, reason: 'malformed' };

  // The signature is checked before the payload is even parsed: nothing an attacker wrote
  // is interpreted until it is known to be ours.
  const given = Buffer.from(signature, 'base64url');
  const signed = secrets.some((s) => {
    const expected = mac(s, payload);
    // timingSafeEqual throws on a length mismatch; the length of a MAC is no secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!signed) return { ok: false, reason: 'bad_signature' };

  const wire = parseClaims(payload);
  if (!wire) return { ok: false, reason: 'malformed' };
  const expiresAt = new Date(wire.e * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, userId: wire.u, type: wire.t, expiresAt };
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(SIGNING_CONTEXT + payload).digest();
}

function checkSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`unsubscribe token: the secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

function validField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
}

function isBase64Url(s: string): boolean {
  return s.length > 0 && /^[A-Za-z0-9_-]+$/.test(s);
}

function parseClaims(payload: string): WireClaims | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { u, t, e } = parsed as Record<string, unknown>;
  if (!validField(u) || !validField(t) || typeof e !== 'number' || !Number.isSafeInteger(e)) return undefined;
  return { u, t, e };
}
