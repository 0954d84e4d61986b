import type { Logger } from '@tbot/common';
import type { NextFunction, Request, Response } from 'express';
import type { GatewayConfig } from './config';
import { sendError } from './http-errors';
import { createTokenVerifier, type TokenRules, type TokenVerifier } from './token-verifier';

export interface AuthedRequest extends Request {
  userId?: string;
  /** The token's roles (AUTH_ROLES_CLAIM). */
  roles?: string[];
}

export function tokenRules(config: GatewayConfig): TokenRules {
  return { maxAgeSeconds: config.AUTH_JWT_MAX_AGE_SECONDS, audience: config.AUTH_JWT_AUDIENCE, issuer: config.AUTH_JWT_ISSUER, rolesClaim: config.AUTH_ROLES_CLAIM };
}

/** One verifier per gateway (it holds the JWKS cache); undefined when no key is configured. */
export function userTokenVerifier(config: GatewayConfig): TokenVerifier | undefined {
  return createTokenVerifier({ secret: config.AUTH_JWT_SECRET, jwksUrl: config.AUTH_JWKS_URL }, tokenRules(config));
}

/** Bearer JWT whose `sub` is our user id, checked by token-verifier.ts. */
export function requireUser(verify: TokenVerifier | undefined, logger: Logger) {
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    if (!verify) return sendError(res, 503, 'auth_not_configured', 'neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set on the gateway');
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 401, 'missing_token', 'send Authorization: Bearer <token>');
    verify(match[1]!).then(
      (check) => {
        if (check.ok) {
          req.userId = check.userId;
          req.roles = check.roles;
          return next();
        }
        if (check.status === 503) {
          logger.warn({ code: check.code }, 'user token could not be checked: identity provider keys unavailable');
          res.set('Retry-After', '5');
        }
        return sendError(res, check.status, check.code, check.message);
      },
      (err: unknown) => next(err),
    );
  };
}
