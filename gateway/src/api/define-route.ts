import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { FieldErrors } from './field-errors';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `public` anyone, `user` any valid user token, `operator` a user
 * token whose roles claim (AUTH_ROLES_CLAIM) contains "operator" (403 otherwise).
 */
export type RouteAuth = 'public' | 'user' | 'operator';

type ObjectSchema = z.ZodObject;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a handler returns: the response's input; nothing at all for a 204 (`response: z.undefined()`). */
type Returned<R extends z.ZodType> = [z.input<R>] extends [undefined] ? void : z.input<R>;

/** What a handler gets: the caller and its validated input. */
export interface RouteContext<P, Q, B> {
  /** The token's `sub` ('' on public routes). */
  userId: string;
  /** The token's roles claim (empty on public routes). */
  roles: readonly string[];
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * One route, declared once: the same declaration validates requests, mounts the route and
 * describes it in the OpenAPI document.
 *
 * `path` is OpenAPI-style, relative to /api/v1: `/strategies/{id}`. Each `{name}` must be a
 * key of `params`. `query` and `params` are objects of (coerced) strings as they come from
 * the URL; `body` is JSON. The handler returns the response body: it is parsed with
 * `response` before it is sent, so fields not in the schema never leave (secrets kept by
 * mistake), and a shape the schema does not allow is a 500 logged as ours, not the caller's.
 * A `text/*` contentType sends the returned string as is (CSV exports).
 */
export interface RouteSpec<P extends ObjectSchema | undefined, Q extends ObjectSchema | undefined, B extends z.ZodType | undefined, R extends z.ZodType> {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: RouteAuth;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** 200 unless told; 204 sends no body. */
  status?: 200 | 201 | 202 | 204;
  /** application/json unless told (e.g. 'text/csv'). */
  contentType?: string;
  /** Run after authentication and before validation (per-user rate limits). */
  before?: RequestHandler[];
  handler: (ctx: RouteContext<Parsed<P>, Parsed<Q>, Parsed<B>>) => Promise<Returned<R>>;
}

/** A declared route with its types erased, as the router and the OpenAPI builder take it. */
export type ApiRoute = RouteSpec<ObjectSchema | undefined, ObjectSchema | undefined, z.ZodType | undefined, z.ZodType>;

/** Declares a route; the identity function, there for its type inference. */
export function defineRoute<
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, R>): ApiRoute {
  return spec as unknown as ApiRoute;
}

/**
 * An answer other than success, thrown from a handler: `{"error": code, "message", "fields"?}`.
 * RPC failures need not be wrapped: a thrown ConnectError goes through sendRpcError.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
