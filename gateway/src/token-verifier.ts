import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';

export interface TokenRules {
  /** Longest a token may live from its `iat`, even if its `exp` says later. */
  maxAgeSeconds: number;
  /** When set, the token's `aud` must name it. */
  audience?: string | undefined;
  /** When set, the token's `iss` must be it. */
  issuer?: string | undefined;
  /**
   * The claim holding the user's roles (AUTH_ROLES_CLAIM, default `roles`): an array of
   * strings or one space-separated string. A dotted name (`realm_access.roles`) is looked up
   * as a path when no claim has that exact name (Auth0's namespaced claims contain dots).
   */
  rolesClaim?: string | undefined;
}

export interface TokenKeys {
  /** HS256 key (AUTH_JWT_SECRET). */
  secret?: string | undefined;
  /** An OIDC provider's JWKS (AUTH_JWKS_URL): RS256 and ES256 tokens are checked with its keys. */
  jwksUrl?: string | undefined;
  /** Longest wait for the JWKS (then 503: the identity provider is down, not the token bad). */
  jwksTimeoutMs?: number;
}

export type TokenCheck =
  | { ok: true; userId: string; roles: string[] }
  | { ok: false; status: 401 | 503; code: TokenRefusal; message: string };

export type TokenRefusal =
  | 'invalid_token'
  | 'token_expired'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'invalid_audience'
  | 'invalid_issuer'
  | 'auth_unavailable';

export type TokenVerifier = (token: string) => Promise<TokenCheck>;

/** Our user ids are UUIDs: a `sub` of any other shape is not one of our users. */
const SUBJECT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Algorithms whose keys come from the JWKS: public keys only. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/**
 * Checks a user token and returns its user id (`sub`).
 *
 * The key is chosen by the token's `alg` before anything is verified, and each key is used
 * with its own algorithms only: HS256 with AUTH_JWT_SECRET, RS256/ES256 with the JWKS's
 * public keys. So a token cannot pick its own algorithm: `none`, HS256 "signed" with a
 * public key (algorithm confusion), or any other algorithm is refused. `exp` and `iat`
 * are required (a token without them would be good forever), a token older than
 * maxAgeSeconds is refused whatever its `exp`, and `aud`/`iss` are checked when configured.
 * Returns undefined when no key is configured at all.
 */
export function createTokenVerifier(keys: TokenKeys, rules: TokenRules): TokenVerifier | undefined {
  if (!keys.secret && !keys.jwksUrl) return undefined;
  const secret = keys.secret ? createSecretKey(Buffer.from(keys.secret, 'utf8')) : undefined;
  // Fetched on first use, cached, and fetched again for an unknown `kid` (key rotation) at
  // most once per cooldown, so tokens with made-up kids cannot make us hammer the provider.
  const jwks = keys.jwksUrl
    ? createRemoteJWKSet(new URL(keys.jwksUrl), { timeoutDuration: keys.jwksTimeoutMs ?? 2000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : undefined;
  const claims: JWTVerifyOptions = {
    maxTokenAge: rules.maxAgeSeconds,
    requiredClaims: ['exp', 'iat'],
    ...(rules.audience ? { audience: rules.audience } : {}),
    ...(rules.issuer ? { issuer: rules.issuer } : {}),
  };

  return async (token) => {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return refuse(401, 'invalid_token', 'the token is not a JWT');
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && secret) {
        payload = (await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })).payload;
      } else if (typeof alg === 'string' && JWKS_ALGORITHMS.includes(alg) && jwks) {
        payload = (await jwtVerify(token, jwks, { ...claims, algorithms: JWKS_ALGORITHMS })).payload;
      } else {
        return refuse(401, 'algorithm_not_allowed', `accepted algorithms: ${accepted(secret !== undefined, jwks !== undefined)}`);
      }
    } catch (err) {
      return refusal(err);
    }
    const sub: unknown = payload.sub;
    if (typeof sub !== 'string' || !SUBJECT.test(sub)) return refuse(401, 'invalid_token', 'the token has no user id as subject');
    return { ok: true, userId: sub, roles: rolesOf(payload, rules.rolesClaim ?? 'roles') };
  };
}

/** The token's roles; anything that is not a string (or list of strings) counts as none. */
export function rolesOf(payload: JWTPayload, claim: string): string[] {
  let value: unknown = payload[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), payload);
  }
  if (typeof value === 'string') return value.split(/\s+/).filter((r) => r !== '');
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string');
  return [];
}

function accepted(hs: boolean, jwks: boolean): string {
  return [...(hs ? ['HS256'] : []), ...(jwks ? JWKS_ALGORITHMS : [])].join(', ');
}

function refuse(status: 401 | 503, code: TokenRefusal, message: string): TokenCheck {
  return { ok: false, status, code, message };
}

/** What a failed verification tells the client: which rule failed, never the token or a key. */
export function refusal(err: unknown): TokenCheck {
  if (err instanceof errors.JWTExpired) return refuse(401, 'token_expired', 'the token has expired (exp, or older than the longest token age)');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return refuse(401, 'invalid_audience', 'the token is not for this API (aud)');
    if (err.claim === 'iss') return refuse(401, 'invalid_issuer', 'the token is not from the expected issuer (iss)');
    if (err.reason === 'missing') return refuse(401, 'invalid_token', `the token has no ${err.claim} claim`);
    return refuse(401, 'invalid_token', `the token's ${err.claim} claim is not valid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return refuse(401, 'algorithm_not_allowed', 'the token is signed with an algorithm not accepted here');
  if (err instanceof errors.JWKSNoMatchingKey) return refuse(401, 'unknown_key', 'no key of the identity provider matches the token (kid)');
  // The identity provider's key set could not be had: not the token's fault, try again later.
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC') {
    return refuse(503, 'auth_unavailable', 'the identity provider\u2019s keys could not be loaded; retry later');
  }
  return refuse(401, 'invalid_token', 'the token does not verify');
}
