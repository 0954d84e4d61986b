import { createProTrader, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { bearer } from './support/clients';

// Hostile input against every operation of /api/v1, taken from its own OpenAPI document (so a
// route added later is covered without touching this file): broken and oversized bodies,
// wrong types, odd path parameters and repeated or huge query values must each get a 4xx
// JSON answer with a machine-readable code, never a 5xx, and the services must stay up.

jest.setTimeout(240_000);

type Operation = { method: string; path: string; public: boolean };

const PATH_VALUES = ['..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(600), '%E2%80%AE', "'%20OR%201=1", '{"$gt":""}', '-1', 'stg_' + 'g'.repeat(32)];

const QUERIES = [
  'pageSize=-1',
  'pageSize=1e99',
  'pageSize=1&pageSize=2',
  'pageToken=%7B%22%24gt%22%3A1%7D',
  'pageToken=' + 'A'.repeat(5000),
  'from=yesterday&to=2026-13-45T99:99:99Z',
  'outcome[$ne]=x',
  'symbol=' + encodeURIComponent('=HYPERLINK("http://evil")'),
  'days=NaN',
  'provider=__proto__&state=constructor',
];

const BODIES: Array<{ name: string; body: string; type?: string }> = [
  { name: 'broken JSON', body: '{"a":' },
  { name: 'a JSON string', body: '"text"' },
  { name: 'a JSON array', body: '[1,2,3]' },
  { name: 'null', body: 'null' },
  { name: 'prototype keys', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
  { name: 'operators as values', body: '{"plan":{"$ne":null},"mode":{"$gt":""},"apiKey":{"$where":"1"},"name":["a"],"email":{"a":1}}' },
  { name: 'numbers as strings', body: '{"maxLeverage":"9e999","pageSize":"1","sizingValue":1e309}' },
  { name: 'deep nesting', body: '{"a":'.repeat(2000) + '1' + '}'.repeat(2000) },
  { name: 'too large', body: JSON.stringify({ name: 'x'.repeat(200 * 1024) }) },
  { name: 'form instead of JSON', body: 'a=1&b=2', type: 'application/x-www-form-urlencoded' },
  { name: 'wrong charset', body: '{"name":"x"}', type: 'application/json; charset=utf-7' },
];

describe('API v1: hostile input on every operation', () => {
  let h: BillingHarness;
  let gw: string;
  let operations: Operation[];
  let auth: string;

  beforeAll(async () => {
    h = await startBillingHarness({ notifications: true });
    gw = h.stack.gatewayUrl;
    const doc = (await (await fetch(`${gw}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, public: Array.isArray(op.security) && op.security.length === 0 })),
    );
    const { id } = await createProTrader(h.stack, 'hostile');
    // An operator too, so the operator routes validate their input instead of stopping at 403.
    auth = bearer(id, undefined, 900, { roles: ['operator'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function send(method: string, path: string, body?: { body: string; type?: string }): Promise<{ status: number; text: string; type: string }> {
    const headers: Record<string, string> = { authorization: auth };
    if (body) headers['content-type'] = body.type ?? 'application/json';
    const res = await fetch(`${gw}/api/v1${path}`, { method, headers, body: body?.body });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
  }

  /** A 5xx, or a 4xx that is not our JSON error shape, is a problem worth naming. */
  function problem(label: string, r: { status: number; text: string; type: string }): string | undefined {
    if (r.status >= 500) return `${label}: ${r.status} ${r.text.slice(0, 200)}`;
    if (r.status >= 400) {
      let code: unknown;
      try {
        code = (JSON.parse(r.text) as { error?: unknown }).error;
      } catch {
        code = undefined;
      }
      if (typeof code !== 'string' || !r.type.startsWith('application/json')) return `${label}: ${r.status} without a JSON error code: ${r.text.slice(0, 120)}`;
    }
    return undefined;
  }

  it('covers a real set of operations', () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.some((o) => o.path.startsWith('/ops/'))).toBe(true);
  });

  it('answers odd path parameters and query values with a 4xx code or a plain answer, never a 5xx', async () => {
    const problems: string[] = [];
    for (const op of operations.filter((o) => !o.public)) {
      const templated = op.path.includes('{');
      const paths = templated ? PATH_VALUES.map((v) => op.path.replace(/\{\w+\}/g, v)) : [op.path];
      for (const path of paths) {
        const queries = op.method === 'GET' ? QUERIES : [''];
        for (const q of queries) {
          const r = await send(op.method, q ? `${path}?${q}` : path, op.method === 'GET' || op.method === 'DELETE' ? undefined : { body: '{}' });
          const p = problem(`${op.method} ${path.slice(0, 80)}?${q.slice(0, 40)}`, r);
          if (p) problems.push(p);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers hostile bodies with a 4xx code, never a 5xx', async () => {
    const problems: string[] = [];
    const fakeIds: Record<string, string> = { id: `stg_${'0'.repeat(32)}`, chatId: '1', eventKey: 'stripe:evt_none' };
    for (const op of operations.filter((o) => !o.public && (o.method === 'POST' || o.method === 'PUT' || o.method === 'PATCH'))) {
      const path = op.path.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(fakeIds[k] ?? 'x'));
      for (const b of BODIES) {
        const r = await send(op.method, path, b);
        const p = problem(`${op.method} ${op.path} with ${b.name}`, r);
        if (p) problems.push(p);
      }
    }
    expect(problems).toEqual([]);
    // Still serving after all of it.
    for (const name of ['gateway', 'billing', 'trading', 'notifications']) expect(h.stack.children.get(name)?.proc.exitCode ?? null).toBeNull();
    expect((await send('GET', '/me')).status).toBe(200);
  });
});
