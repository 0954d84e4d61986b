import { z } from 'zod';
import type { ApiRoute } from './define-route';

type JsonSchema = Record<string, unknown>;

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Where the paths are served from, e.g. /api/v1. */
  basePath: string;
}

/** `{id}` in an OpenAPI path → `:id` for Express. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** The `{name}`s of a path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/**
 * Catches declaration mistakes when the router is built (so at startup and in unit tests,
 * never at request time): path parameters that the params schema does not declare or the
 * other way round, and two routes on one method and path.
 */
export function checkRoutes(routes: readonly ApiRoute[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    const id = `${r.method.toUpperCase()} ${r.path}`;
    if (seen.has(id)) throw new Error(`${id} is declared twice`);
    seen.add(id);
    const inPath = pathParams(r.path).sort();
    const declared = Object.keys(r.params?.shape ?? {}).sort();
    if (inPath.join() !== declared.join()) throw new Error(`${id}: path parameters {${inPath.join(', ')}} but params declares {${declared.join(', ')}}`);
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** getStrategiesById, postStrategiesByIdSecretRotate: from the method and path, stable. */
export function operationId(route: Pick<ApiRoute, 'method' | 'path'>): string {
  const words = route.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  return route.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

const errorSchema: JsonSchema = {
  type: 'object',
  properties: { error: { type: 'string', description: 'machine-readable code' }, message: { type: 'string' } },
  required: ['error', 'message'],
};
const validationErrorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', const: 'invalid_request' },
    message: { type: 'string' },
    fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'one message per bad field path, e.g. {"maxLeverage": "must be at most 125"}' },
  },
  required: ['error', 'message', 'fields'],
};
const errorResponse = (description: string, schema = 'Error') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});

function parameters(route: ApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    for (const [name, field] of Object.entries(schema?.shape ?? {}) as [string, z.ZodType][]) {
      const s = jsonSchema(field, 'input');
      const { description, ...rest } = s;
      out.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function operation(route: ApiRoute): JsonSchema {
  const status = route.status ?? 200;
  const contentType = route.contentType ?? 'application/json';
  const responses: Record<string, unknown> = {
    [String(status)]:
      status === 204
        ? { description: 'done' }
        : { description: 'success', content: { [contentType]: { schema: jsonSchema(route.response, 'output') } } },
  };
  if (route.params || route.query || route.body) responses['400'] = errorResponse('invalid request: `fields` names each bad field', 'ValidationError');
  if (route.auth !== 'public') responses['401'] = errorResponse('no token, or a token that does not verify');
  if (route.auth === 'operator') responses['403'] = errorResponse('the token has no operator role');
  responses.default = errorResponse('error (see `error` for the code)');
  const params = parameters(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description || route.auth === 'operator'
      ? { description: [route.description, route.auth === 'operator' ? 'Operator only: the token\u2019s roles claim must contain `operator`.' : undefined].filter(Boolean).join('\n\n') }
      : {}),
    tags: route.tags,
    ...(route.auth === 'public' ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? { requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
      : {}),
    responses,
    ...(route.auth === 'operator' ? { 'x-required-role': 'operator' } : {}),
  };
}

/** The OpenAPI 3.1 document of the routes: built from the schemas that validate them. */
export function openApiDocument(routes: readonly ApiRoute[], info: ApiInfo): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  const tags = [...new Set(routes.flatMap((r) => r.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    servers: [{ url: info.basePath }],
    tags,
    // Signed in unless an operation says otherwise (security: []).
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema, ValidationError: validationErrorSchema },
    },
  };
}
