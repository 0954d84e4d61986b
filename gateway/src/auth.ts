import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import type { GatewayConfig } from './config';
import { sendError } from './http-errors';

export interface AuthedRequest extends Request {
  userId?: string;
}

export interface TokenRules {
  /** Longest a token may live from its `iat`, even if its `exp` says later. */
  maxAgeSeconds: number;
  /** When set, the token's `aud` must name it. */
  audience?: string;
  /** When set, the token's `iss` must be it. */
  issuer?: string;
}

export function tokenRules(config: GatewayConfig): TokenRules {
  return { maxAgeSeconds: config.AUTH_JWT_MAX_AGE_SECONDS, audience: config.AUTH_JWT_AUDIENCE, issuer: config.AUTH_JWT_ISSUER };
}

/** Our user ids are UUIDs: a `sub` of any other shape is not one of our users. */
const SUBJECT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bearer JWT signed HS256 with AUTH_JWT_SECRET; `sub` is our user id. Only HS256 is
 * accepted, so a token cannot pick its own algorithm (none, or a public key as secret).
 * `exp` and `iat` are required (a token without them would be good forever), and a token
 * older than maxAgeSeconds is refused whatever its `exp`.
 */
export function requireUser(secret: string | undefined, rules: TokenRules) {
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    if (!secret) return sendError(res, 503, 'auth_not_configured', 'AUTH_JWT_SECRET is not set on the gateway');
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 401, 'missing_token', 'send Authorization: Bearer <token>');
    try {
      const claims = jwt.verify(match[1]!, secret, {
        algorithms: ['HS256'],
        maxAge: rules.maxAgeSeconds,
        ...(rules.audience ? { audience: rules.audience } : {}),
        ...(rules.issuer ? { issuer: rules.issuer } : {}),
      });
      if (typeof claims !== 'object') return sendError(res, 401, 'invalid_token', 'the token is not a JSON object');
      if (typeof claims.exp !== 'number') return sendError(res, 401, 'invalid_token', 'the token has no expiry (exp)');
      const sub: unknown = claims.sub;
      if (typeof sub !== 'string' || !SUBJECT.test(sub)) return sendError(res, 401, 'invalid_token', 'the token has no user id as subject');
      req.userId = sub;
      return next();
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      return sendError(res, 401, expired ? 'token_expired' : 'invalid_token', expired ? 'the token has expired' : 'the token does not verify');
    }
  };
}
