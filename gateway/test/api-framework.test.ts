import { createLogger } from '@tbot/common';
import express from 'express';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ApiError, apiRouter, defineRoute, openApiDocument, pageOf, pageQuery, type ApiRoute } from '../src/api';
import { checkRoutes, operationId } from '../src/api/openapi';
import { createTokenVerifier } from '../src/token-verifier';

// The /api/v1 framework on its own: a few declared routes on a real Express app and HTTP
// server, real HS256 tokens; what each declaration makes of requests and of the document.

const SECRET = 'api-framework-test-secret-long-enough-0001';
const info = { title: 'test', version: '1', basePath: '/api/v1' };

const riskBody = z.strictObject({
  maxLeverage: z.number().int().min(1, 'must be between 1 and 125').max(125, 'must be between 1 and 125').optional(),
  allowedSymbols: z.array(z.string().regex(/^[A-Z0-9]+-[A-Z0-9]+$/)).max(3).optional(),
  sizingMode: z.enum(['fixed_quote', 'fixed_base', 'percent_equity']).optional(),
  name: z.string().min(2),
  webhookUrl: z.url().optional(),
});

const seen: unknown[] = [];
const routes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/whoami',
    summary: 'who',
    tags: ['t'],
    auth: 'user',
    response: z.object({ userId: z.string(), roles: z.array(z.string()) }),
    handler: async ({ userId, roles }) => ({ userId, roles: [...roles] }),
  }),
  defineRoute({
    method: 'put',
    path: '/things/{id}',
    summary: 'put a thing',
    tags: ['t'],
    auth: 'user',
    params: z.object({ id: z.uuid() }),
    body: riskBody,
    // `secret` is not in the response schema: it must never be sent.
    response: z.object({ id: z.string(), name: z.string() }),
    handler: async ({ params, body }) => {
      seen.push(body);
      return { id: params.id, name: body.name, secret: 'do-not-send' } as { id: string; name: string };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/things',
    summary: 'list things',
    tags: ['t'],
    auth: 'user',
    query: z.object({ ...pageQuery, symbol: z.string().optional() }),
    response: pageOf('things', z.object({ n: z.number() })),
    handler: async ({ query }) => ({ things: [{ n: query.pageSize }], nextPageToken: query.pageToken === '' ? 'next' : '' }),
  }),
  defineRoute({
    method: 'post',
    path: '/ops/thing',
    summary: 'operators only',
    tags: ['ops'],
    auth: 'operator',
    response: z.object({ done: z.boolean() }),
    status: 201,
    handler: async () => ({ done: true }),
  }),
  defineRoute({
    method: 'delete',
    path: '/things/{id}',
    summary: 'refuses',
    tags: ['t'],
    auth: 'user',
    params: z.object({ id: z.string() }),
    response: z.object({ deleted: z.boolean() }),
    handler: async ({ params }) => {
      if (params.id === 'busy') throw new ApiError(409, 'busy', 'the thing is busy', { id: 'is busy' });
      if (params.id === 'bad-shape') return { unexpected: 1 } as never;
      throw new Error('boom');
    },
  }),
  defineRoute({
    method: 'get',
    path: '/things.csv',
    summary: 'csv',
    tags: ['t'],
    auth: 'public',
    contentType: 'text/csv',
    response: z.string(),
    handler: async () => 'a,b\n1,2\n',
  }),
];

describe('api framework', () => {
  let server: Server;
  let base: string;
  const logLines: string[] = [];
  const user = randomUUID();
  const token = (claims: object = {}) => jwt.sign({ sub: user, ...claims }, SECRET, { algorithm: 'HS256', expiresIn: 60 });

  beforeAll(async () => {
    const app = express();
    const logger = createLogger('api-test', 'info', { write: (line: string) => void logLines.push(line) });
    app.use('/api/v1', apiRouter(routes, { verifyUser: createTokenVerifier({ secret: SECRET }, { maxAgeSeconds: 3600 }), logger, info }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function call(method: string, path: string, opts: { body?: unknown; raw?: string; auth?: string | null } = {}) {
    const headers: Record<string, string> = {};
    if (opts.auth !== null) headers.authorization = opts.auth ?? `Bearer ${token()}`;
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
  }

  it('answers 401 without a token or with a bad one, and passes the user id and roles on', async () => {
    expect(await call('GET', '/whoami', { auth: null })).toMatchObject({ status: 401, body: { error: 'missing_token' } });
    expect(await call('GET', '/whoami', { auth: 'Bearer x.y.z' })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    const ok = await call('GET', '/whoami', { auth: `Bearer ${token({ roles: ['operator'] })}` });
    expect(ok).toMatchObject({ status: 200, body: { userId: user, roles: ['operator'] } });
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 403 forbidden on an operator route without the operator role, and runs it with it', async () => {
    expect(await call('POST', '/ops/thing')).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await call('POST', '/ops/thing', { auth: `Bearer ${token({ roles: ['trader'] })}` })).toMatchObject({ status: 403 });
    expect(await call('POST', '/ops/thing', { auth: `Bearer ${token({ roles: ['operator'] })}` })).toMatchObject({ status: 201, body: { done: true } });
  });

  it('answers 400 invalid_request with one plain message per bad field, from params and body alike', async () => {
    const r = await call('PUT', '/things/not-a-uuid', {
      body: { maxLeverage: 500, allowedSymbols: ['BTC-USDT', 'btc'], sizingMode: 'all_in', webhookUrl: 'nope', extra: true },
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'invalid_request',
      message: expect.stringMatching(/^invalid request: /),
      fields: {
        id: 'must be a valid uuid',
        maxLeverage: 'must be between 1 and 125',
        'allowedSymbols.1': 'has an invalid format',
        sizingMode: 'must be one of: fixed_quote, fixed_base, percent_equity',
        webhookUrl: 'must be a valid url',
        name: 'is required',
        extra: 'is not a known field',
      },
    });
    const more = await call('PUT', `/things/${randomUUID()}`, { body: { name: 'x', maxLeverage: 2.5, allowedSymbols: ['A-B', 'C-D', 'E-F', 'G-H'] } });
    expect(more.body.fields).toEqual({ name: 'must have at least 2 characters', maxLeverage: 'must be an integer', allowedSymbols: 'must have at most 3 items' });
    expect(seen).toEqual([]); // the handler never ran
  });

  it('answers 400 for a body that is missing, not an object, or not JSON', async () => {
    const id = randomUUID();
    expect((await call('PUT', `/things/${id}`)).body).toMatchObject({ error: 'invalid_request', fields: { body: 'is required' } });
    expect((await call('PUT', `/things/${id}`, { body: [1] })).body).toMatchObject({ error: 'invalid_request', fields: { body: 'must be an object' } });
    // Caught by the app's error handler in app.ts (malformed_payload); here Express's default 400.
    expect((await call('PUT', `/things/${id}`, { raw: '{"name":' })).status).toBe(400);
  });

  it('sends only what the response schema declares', async () => {
    const id = randomUUID();
    const r = await call('PUT', `/things/${id}`, { body: { name: 'ok name', maxLeverage: 10 } });
    expect(r).toMatchObject({ status: 200, body: { id, name: 'ok name' } });
    expect(r.text).not.toContain('do-not-send');
    expect(seen).toEqual([{ name: 'ok name', maxLeverage: 10 }]);
  });

  it('coerces and defaults paging, and refuses a page size out of range', async () => {
    expect((await call('GET', '/things')).body).toEqual({ things: [{ n: 50 }], nextPageToken: 'next' });
    expect((await call('GET', '/things?pageSize=7&pageToken=abc')).body).toEqual({ things: [{ n: 7 }], nextPageToken: '' });
    expect((await call('GET', '/things?pageSize=0')).body.fields).toEqual({ pageSize: 'must be at least 1' });
    expect((await call('GET', '/things?pageSize=201')).body.fields).toEqual({ pageSize: 'must be at most 200' });
    expect((await call('GET', '/things?pageSize=ten')).body.fields).toEqual({ pageSize: 'must be a number' });
  });

  it('maps ApiError to its answer, and a throw or a wrong response shape to a logged 500 without details', async () => {
    expect(await call('DELETE', '/things/busy')).toMatchObject({ status: 409, body: { error: 'busy', message: 'the thing is busy', fields: { id: 'is busy' } } });
    expect(await call('DELETE', '/things/boom')).toMatchObject({ status: 500, body: { error: 'internal_error', message: 'internal error' } });
    expect(await call('DELETE', '/things/bad-shape')).toMatchObject({ status: 500, body: { error: 'internal_error' } });
    expect(logLines.join('\n')).toMatch(/api handler failed/);
    expect(logLines.join('\n')).toMatch(/api response does not fit its schema/);
  });

  it('sends text routes as text, without a token on a public route', async () => {
    const r = await call('GET', '/things.csv', { auth: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.text).toBe('a,b\n1,2\n');
  });

  it('serves the OpenAPI 3.1 document without a token', async () => {
    const r = await call('GET', '/openapi.json', { auth: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(JSON.parse(JSON.stringify(openApiDocument(routes, info))));
  });
});

describe('OpenAPI document', () => {
  const doc = openApiDocument(routes, info) as any;

  it('is OpenAPI 3.1 with bearer auth, the base path as server, and every route once', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/ops/thing', '/things', '/things.csv', '/things/{id}', '/whoami']);
    expect(Object.keys(doc.paths['/things/{id}']).sort()).toEqual(['delete', 'put']);
    const ids = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes parameters, body and response from the zod schemas', () => {
    const put = doc.paths['/things/{id}'].put;
    expect(put.operationId).toBe('putThingsById');
    expect(put.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) }]);
    const body = put.requestBody.content['application/json'].schema;
    expect(put.requestBody.required).toBe(true);
    expect(body.properties.maxLeverage).toEqual({ type: 'integer', minimum: 1, maximum: 125 });
    expect(body.properties.sizingMode.enum).toEqual(['fixed_quote', 'fixed_base', 'percent_equity']);
    expect(body.required).toEqual(['name']);
    expect(body.additionalProperties).toBe(false);
    expect(body.$schema).toBeUndefined();
    expect(put.responses['200'].content['application/json'].schema.properties).toEqual({ id: { type: 'string' }, name: { type: 'string' } });
    expect(put.responses['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ValidationError' });
    expect(put.responses['401']).toBeDefined();
    expect(put.responses['403']).toBeUndefined();

    const list = doc.paths['/things'].get;
    expect(list.parameters).toEqual([
      expect.objectContaining({ name: 'pageSize', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 200, default: 50 }) }),
      expect.objectContaining({ name: 'pageToken', in: 'query', required: false }),
      { name: 'symbol', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    expect(list.responses['200'].content['application/json'].schema.required).toEqual(['things', 'nextPageToken']);
  });

  it('marks public and operator routes', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/things.csv'].get.security).toEqual([]);
    expect(doc.paths['/things.csv'].get.responses['200'].content['text/csv']).toBeDefined();
    const op = doc.paths['/ops/thing'].post;
    expect(op['x-required-role']).toBe('operator');
    expect(op.responses['403']).toBeDefined();
    expect(op.responses['201']).toBeDefined();
    expect(op.description).toMatch(/operator/);
  });

  it('refuses declarations whose path and params disagree, or that repeat a route', () => {
    const r = (path: string, params?: z.ZodObject) =>
      defineRoute({ method: 'get', path, summary: '', tags: [], auth: 'user', params, response: z.object({}), handler: async () => ({}) });
    expect(() => checkRoutes([r('/a/{id}')])).toThrow(/path parameters \{id\} but params declares \{\}/);
    expect(() => checkRoutes([r('/a', z.object({ id: z.string() }))])).toThrow(/params declares \{id\}/);
    expect(() => checkRoutes([r('/a'), r('/a')])).toThrow(/declared twice/);
    expect(operationId({ method: 'post', path: '/strategies/{id}/secret/rotate' })).toBe('postStrategiesByIdSecretRotate');
  });
});
