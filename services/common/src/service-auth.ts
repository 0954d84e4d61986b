import { createHmac, timingSafeEqual } from 'node:crypto';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { Health } from './gen/grpc/health/v1/health_pb.js';

/**
 * Service tokens: short-lived HS256 JWTs that say which service is calling which.
 * Built on node:crypto alone; the format is plain JWT so grpcurl or any other language's
 * client can send one (`authorization: Bearer <token>`).
 */

/** Every name that may appear as a token's `iss` or `aud`. `operator`: the CLI and grpcurl. */
export type ServiceName = 'gateway' | 'billing' | 'trading' | 'notifications' | 'operator';

/**
 * Who may call whom. Kept here, in one place, because callers and callees must agree on it;
 * a service that starts calling another needs a line here (and a test).
 */
export const ALLOWED_CALLERS = {
  billing: ['gateway', 'trading', 'operator'],
  trading: ['gateway', 'operator'],
  notifications: ['gateway', 'operator'],
} as const satisfies Record<string, readonly ServiceName[]>;

export interface ServiceTokenClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

/** Shorter than an outage is long, long enough that signing is rare. */
export const SERVICE_TOKEN_TTL_SECONDS = 300;
/** Clients renew this long before expiry, so a token never expires in flight. */
const RENEW_BEFORE_SECONDS = 60;
/** Clocks of two pods may disagree by this much. */
const CLOCK_LEEWAY_SECONDS = 30;
export const MIN_SERVICE_TOKEN_SECRET_BYTES = 32;

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function hmac(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

/**
 * SERVICE_TOKEN_SECRET as written: comma-separated, the first one signs, all of them verify
 * (list new,old while rolling). Throws when empty or a secret is too short to be a key.
 */
export function parseServiceTokenSecrets(value: string): string[] {
  const secrets = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.length === 0) throw new Error('no secret given');
  if (secrets.some((s) => Buffer.byteLength(s, 'utf8') < MIN_SERVICE_TOKEN_SECRET_BYTES)) {
    throw new Error(`every secret must be at least ${MIN_SERVICE_TOKEN_SECRET_BYTES} bytes`);
  }
  return secrets;
}

export function signServiceToken(opts: {
  secret: string;
  issuer: ServiceName;
  audience: string;
  nowMs?: number;
  ttlSeconds?: number;
}): string {
  const iat = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const claims: ServiceTokenClaims = { iss: opts.issuer, aud: opts.audience, iat, exp: iat + (opts.ttlSeconds ?? SERVICE_TOKEN_TTL_SECONDS) };
  const signingInput = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${hmac(opts.secret, signingInput)}`;
}

export type ServiceTokenRefusal = 'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'wrong_audience' | 'caller_not_allowed';

export type ServiceTokenCheck = { ok: true; claims: ServiceTokenClaims } | { ok: false; reason: ServiceTokenRefusal };

/** Signature first: nothing in an unsigned token is looked at, not even to say what is wrong with it. */
export function verifyServiceToken(
  token: string,
  opts: { secrets: readonly string[]; audience: string; allowedCallers: readonly string[]; nowMs?: number },
): ServiceTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [header, payload, signature] = parts as [string, string, string];
  const signingInput = `${header}.${payload}`;
  const given = Buffer.from(signature, 'utf8');
  // Compare the encoded forms: base64url decoding is lenient, so two spellings could decode alike.
  const signed = opts.secrets.some((secret) => {
    const expected = Buffer.from(hmac(secret, signingInput), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signed) return { ok: false, reason: 'bad_signature' };
  const parsedHeader = parseJsonObject(header);
  // Only our own header is ever signed; anything else (alg "none", another alg) is not ours.
  if (parsedHeader?.alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const claims = parseClaims(payload);
  if (!claims) return { ok: false, reason: 'malformed' };
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (now > claims.exp + CLOCK_LEEWAY_SECONDS) return { ok: false, reason: 'expired' };
  if (claims.iat > now + CLOCK_LEEWAY_SECONDS) return { ok: false, reason: 'not_yet_valid' };
  if (claims.aud !== opts.audience) return { ok: false, reason: 'wrong_audience' };
  if (!opts.allowedCallers.includes(claims.iss)) return { ok: false, reason: 'caller_not_allowed' };
  return { ok: true, claims };
}

function parseJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseClaims(segment: string): ServiceTokenClaims | undefined {
  const c = parseJsonObject(segment);
  if (!c) return undefined;
  const { iss, aud, iat, exp } = c;
  if (typeof iss !== 'string' || typeof aud !== 'string' || !Number.isFinite(iat) || !Number.isFinite(exp)) return undefined;
  return { iss, aud, iat: iat as number, exp: exp as number };
}

/** One signed token per audience, re-signed shortly before it expires. */
export class ServiceTokens {
  private readonly cache = new Map<string, { token: string; renewAtMs: number }>();

  constructor(
    private readonly issuer: ServiceName,
    /** The first of SERVICE_TOKEN_SECRET's list. */
    private readonly secret: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  tokenFor(audience: string): string {
    const now = this.nowMs();
    const cached = this.cache.get(audience);
    if (cached && now < cached.renewAtMs) return cached.token;
    const token = signServiceToken({ secret: this.secret, issuer: this.issuer, audience, nowMs: now });
    this.cache.set(audience, { token, renewAtMs: now + (SERVICE_TOKEN_TTL_SECONDS - RENEW_BEFORE_SECONDS) * 1000 });
    return token;
  }
}

/** Client side: every call on the transport carries a token for `audience`. */
export function serviceTokenInterceptor(tokens: ServiceTokens, audience: string): Interceptor {
  return (next) => async (req) => {
    req.header.set('authorization', `Bearer ${tokens.tokenFor(audience)}`);
    return next(req);
  };
}

const REFUSAL_MESSAGES: Record<ServiceTokenRefusal, string> = {
  malformed: 'service token is malformed',
  bad_signature: 'service token signature is invalid',
  expired: 'service token has expired',
  not_yet_valid: 'service token is not valid yet',
  wrong_audience: 'service token is for another service',
  caller_not_allowed: 'caller is not allowed to call this service',
};

/**
 * Server side: refuses calls without a valid token for `service` from one of `allowedCallers`.
 * grpc.health.v1 stays open: Kubernetes' gRPC probes cannot send a token, and health tells
 * nothing a caller could use. Messages never contain the token.
 */
export function requireServiceToken(opts: {
  service: string;
  allowedCallers: readonly string[];
  secrets: readonly string[];
  nowMs?: () => number;
}): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === Health.typeName) return next(req);
    const match = /^Bearer ([^\s]+)$/i.exec(req.header.get('authorization') ?? '');
    if (!match) throw new ConnectError('service token required (authorization: Bearer …)', Code.Unauthenticated);
    const check = verifyServiceToken(match[1]!, {
      secrets: opts.secrets,
      audience: opts.service,
      allowedCallers: opts.allowedCallers,
      nowMs: opts.nowMs?.(),
    });
    if (!check.ok) {
      if (check.reason === 'caller_not_allowed') throw new ConnectError(REFUSAL_MESSAGES[check.reason], Code.PermissionDenied);
      throw new ConnectError(REFUSAL_MESSAGES[check.reason], Code.Unauthenticated);
    }
    return next(req);
  };
}
