import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { sendError } from './http-errors';

export interface AuthedRequest extends Request {
  userId?: string;
}

/**
 * Bearer JWT signed HS256 with AUTH_JWT_SECRET; `sub` is our user id. Only HS256 is
 * accepted, so a token cannot pick its own algorithm (none, or a public key as secret).
 */
export function requireUser(secret: string | undefined) {
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    if (!secret) return sendError(res, 503, 'auth_not_configured', 'AUTH_JWT_SECRET is not set on the gateway');
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 401, 'missing_token', 'send Authorization: Bearer <token>');
    try {
      const claims = jwt.verify(match[1]!, secret, { algorithms: ['HS256'] });
      const sub = typeof claims === 'object' ? claims.sub : undefined;
      if (!sub) return sendError(res, 401, 'invalid_token', 'the token has no subject');
      req.userId = sub;
      return next();
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      return sendError(res, 401, expired ? 'token_expired' : 'invalid_token', expired ? 'the token has expired' : 'the token does not verify');
    }
  };
}
