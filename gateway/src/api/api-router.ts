import type { Logger } from '@tbot/common';
import { ConnectError } from '@connectrpc/connect';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { requireUser, type AuthedRequest } from '../auth';
import { sendError, sendRpcError } from '../http-errors';
import type { TokenVerifier } from '../token-verifier';
import { ApiError, type ApiRoute } from './define-route';
import { fieldErrors, fieldMessage, summarize, type FieldErrors } from './field-errors';
import { checkRoutes, expressPath, openApiDocument, type ApiInfo } from './openapi';

export const OPERATOR_ROLE = 'operator';

export interface ApiRouterOptions {
  verifyUser: TokenVerifier | undefined;
  logger: Logger;
  info: ApiInfo;
  /** Largest JSON body. */
  maxBodyBytes?: number;
}

/**
 * The routes on an Express Router (mount it at info.basePath), plus GET /openapi.json
 * describing them. Throws at once on a declaration mistake (see checkRoutes).
 */
export function apiRouter(routes: readonly ApiRoute[], opts: ApiRouterOptions): Router {
  checkRoutes(routes);
  const router = Router();
  // Every answer is about one signed-in user (or a secret shown once): never cached.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  const document = JSON.stringify(openApiDocument(routes, opts.info));
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.type('application/json').send(document);
  });
  const json = express.json({ limit: opts.maxBodyBytes ?? 64 * 1024 });
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    if (route.auth !== 'public') chain.push(requireUser(opts.verifyUser, opts.logger));
    if (route.auth === 'operator') chain.push(requireRole(OPERATOR_ROLE));
    chain.push(...(route.before ?? []));
    if (route.body) chain.push(json);
    chain.push(handle(route, opts.logger));
    router[route.method](expressPath(route.path), ...chain);
  }
  return router;
}

function requireRole(role: string): RequestHandler {
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    if (req.roles?.includes(role)) return next();
    sendError(res, 403, 'forbidden', `this route needs the ${role} role`);
  };
}

type Parsed = { ok: true; value: unknown } | { ok: false; fields: FieldErrors };

function parse(schema: z.ZodType | undefined, input: unknown, root: string): Parsed {
  if (!schema) return { ok: true, value: undefined };
  const r = schema.safeParse(input, { error: fieldMessage });
  return r.success ? { ok: true, value: r.data } : { ok: false, fields: fieldErrors(r.error, root) };
}

function handle(route: ApiRoute, logger: Logger): RequestHandler {
  const id = `${route.method.toUpperCase()} ${route.path}`;
  const status = route.status ?? 200;
  return async (req: AuthedRequest, res: Response) => {
    const params = parse(route.params, req.params, 'params');
    const query = parse(route.query, req.query, 'query');
    const body = parse(route.body, req.body, 'body');
    if (!params.ok || !query.ok || !body.ok) {
      // A bad path parameter (an id of the wrong shape) is as much the caller's mistake.
      const fields = { ...(params.ok ? {} : params.fields), ...(query.ok ? {} : query.fields), ...(body.ok ? {} : body.fields) };
      return sendError(res, 400, 'invalid_request', `invalid request: ${summarize(fields)}`, fields);
    }
    let result: unknown;
    try {
      result = await route.handler({
        userId: req.userId ?? '',
        roles: req.roles ?? [],
        params: params.value as Record<string, unknown> | undefined,
        query: query.value as Record<string, unknown> | undefined,
        body: body.value,
        req,
        res,
      });
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err.status, err.code, err.message, err.fields);
      if (err instanceof ConnectError) return sendRpcError(res, err);
      logger.error({ err, route: id }, 'api handler failed');
      return sendError(res, 500, 'internal_error', 'internal error');
    }
    if (res.headersSent) return;
    if (status === 204) return void res.status(204).end();
    const out = route.response.safeParse(result);
    if (!out.success) {
      // Our bug, not the caller's: paths and codes only, never the values (they may be secrets).
      logger.error({ route: id, issues: out.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code })) }, 'api response does not fit its schema');
      return sendError(res, 500, 'internal_error', 'internal error');
    }
    const contentType = route.contentType ?? 'application/json';
    if (contentType.startsWith('text/')) return void res.status(status).type(contentType).send(String(out.data));
    res.status(status).json(out.data);
  };
}

