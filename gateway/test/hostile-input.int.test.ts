import * as http from 'node:http';
import * as net from 'node:net';
import { gzipSync } from 'node:zlib';
import { createProTrader, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import jwt from 'jsonwebtoken';
import { signPaystackPayload } from '../src/webhook-signatures/paystack';
import { signStripePayload } from '../src/webhook-signatures/stripe';
import { outcomeOf } from './support/clients';
import { nowSeconds } from './support/stripe-events';

// Requests an attacker (or a broken client) would send, against every public route of the
// real stack with every upstream up: none may get a 5xx, every refusal is a JSON
// {"error","message"}, nothing hangs, and the gateway stays healthy throughout.

interface Hit {
  status: number;
  text: string;
}

interface Case {
  name: string;
  send(): Promise<Hit>;
  /** Answers written by Node's own HTTP parser (bad framing) have no JSON body. */
  framing?: boolean;
  /** The Paystack callback's answer is a payment result (`{"status":"failed",…}`), not a refusal. */
  result?: boolean;
}

const TIMEOUT_MS = 10_000;
const UUID = '3f2b8a4e-6c1d-4e5f-9a7b-0c8d2e4f6a1b';

const deep = (n: number, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);
const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** Payload shapes a document store or a recursive walk may choke on. */
const HOSTILE_OBJECTS: Array<[string, unknown]> = [
  ['$-keys', { $where: 'sleep(1000)', $set: { admin: true }, nested: { $gt: '' } }],
  ['dotted keys', { 'a.b': 1, 'metadata.user_id': 'x', '.': 2, '..': 3 }],
  ['nested arrays', { list: JSON.parse(deepArray(60)) as unknown }],
  ['NUL characters', { name: 'a\u0000b', ['k\u0000']: 'v' }],
  ['huge numbers', { amount: 1e308, big: 123456789012345678901234567890, neg: -1e308 }],
  ['unicode', { name: '\u202e\ud83d\ude00\uffff', emoji: '💸'.repeat(100) }],
  ['empty key', { '': 1, ' ': 2 }],
  ['prototype keys', JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') as unknown],
];

function send(
  base: string,
  opts: { method?: string; path: string; headers?: Record<string, string | string[]>; body?: string | Buffer },
): Promise<Hit> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers ?? {}, setHost: !(opts.headers && 'host' in opts.headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Raw bytes on a socket: the first status line's code, or 0 when the server just closed. */
function sendRaw(base: string, bytes: string): Promise<Hit> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // One answer is enough (keep-alive would leave the socket open).
      if (/\r\n\r\n/.test(text)) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.write(bytes, 'latin1');
  });
}

describe('hostile input against every public route', () => {
  let h: BillingHarness;
  let gw: string;
  let trader: { id: string; secret: string };

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: {
          WEBHOOK_MAX_BYTES: '65536',
          TRADINGVIEW_MAX_BYTES: '16384',
          IP_RATE_LIMIT_PER_MINUTE: '100000',
          TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE: '100000',
          TRADINGVIEW_USER_RATE_LIMIT_PER_MINUTE: '100000',
          TRADINGVIEW_IP_ALLOWLIST: 'false',
          HTTP_HEADERS_TIMEOUT_MS: '2000',
          HTTP_MAX_CONNECTIONS: '64',
        },
      },
    });
    gw = h.stack.gatewayUrl;
    trader = await createProTrader(h.stack, 'hostile');
  });
  afterAll(async () => {
    await h?.stop();
  });

  function stripeCases(): Case[] {
    const secret = TEST_SECRETS.stripeWebhookSecrets[0]!;
    const path = '/api/payments/stripe/webhook';
    const signed = (raw: string | Buffer, headers: Record<string, string> = {}) => ({
      path,
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(raw, secret), ...headers },
      body: raw,
    });
    const ev = (object: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ id: `evt_hostile_${Math.random().toString(36).slice(2)}`, type: 'customer.subscription.updated', created: nowSeconds(), data: { object }, ...extra });
    const valid = ev({ id: 'sub_x', customer: 'cus_hostile', status: 'active', metadata: { user_id: UUID } });
    const cases: Case[] = [];
    const add = (name: string, o: Parameters<typeof send>[1]) => cases.push({ name: `stripe: ${name}`, send: () => send(gw, o) });
    const t = nowSeconds();
    const sigs: Array<[string, string | undefined]> = [
      ['no signature', undefined],
      ['empty signature', ''],
      ['garbage signature', 'garbage'],
      ['non-numeric timestamp', 't=abc,v1=' + 'a'.repeat(64)],
      ['no v1', `t=${t}`],
      ['v0 only', `t=${t},v0=${'a'.repeat(64)}`],
      ['short v1', `t=${t},v1=abc`],
      ['non-hex v1', `t=${t},v1=${'z'.repeat(64)}`],
      ['stale timestamp', signStripePayload(valid, secret, t - 3600)],
      ['future timestamp', signStripePayload(valid, secret, t + 3600)],
      ['wrong secret', signStripePayload(valid, 'whsec_wrong')],
      ['huge header', `t=${t},` + 'v1=00,'.repeat(1500)],
      ['negative timestamp', `t=-1,v1=${'a'.repeat(64)}`],
      ['timestamp overflow', `t=${'9'.repeat(400)},v1=${'a'.repeat(64)}`],
      ['only commas', ',,,,,'],
      ['equals only', '=,=,='],
    ];
    for (const [name, header] of sigs) {
      add(name, { path, headers: { 'content-type': 'application/json', ...(header === undefined ? {} : { 'stripe-signature': header }) }, body: valid });
    }
    const bodies: Array<[string, string]> = [
      ['not JSON', '{'],
      ['null', 'null'],
      ['array', '[]'],
      ['string', '"evt"'],
      ['number', '42'],
      ['empty', ''],
      ['id not evt_', JSON.stringify({ id: 'x', type: 'a', created: 1, data: { object: {} } })],
      ['type empty', JSON.stringify({ id: 'evt_1', type: '', created: 1, data: { object: {} } })],
      ['type 1000 chars', JSON.stringify({ id: 'evt_1', type: 'x'.repeat(1000), created: 1, data: { object: {} } })],
      ['created string', JSON.stringify({ id: 'evt_1', type: 'a', created: 'now', data: { object: {} } })],
      ['data missing', JSON.stringify({ id: 'evt_1', type: 'a', created: 1 })],
      ['object an array', JSON.stringify({ id: 'evt_1', type: 'a', created: 1, data: { object: [] } })],
      ['nested 4000 deep', ev(JSON.parse(deep(4000)) as unknown)],
      ['BOM first', '\uFEFF' + valid],
      ['unknown type', ev({ id: 'sub_x' }, { type: 'totally.unknown' })],
      ['trailing garbage', valid + 'xyz'],
    ];
    for (const [name, raw] of bodies) add(`signed body: ${name}`, signed(raw));
    for (const [name, object] of HOSTILE_OBJECTS) {
      add(`unknown user, ${name}`, signed(ev({ id: 'sub_h', customer: 'cus_h', status: 'active', metadata: { user_id: UUID }, extra: object })));
      add(`unknown user, ${name} as metadata`, signed(ev({ id: 'sub_h', customer: 'cus_h', status: 'active', metadata: object })));
      add(`invoice, ${name}`, signed(ev({ id: 'in_h', customer: 'cus_h', amount_paid: 100, currency: 'usd', lines: object }, { type: 'invoice.paid' })));
    }
    add('oversized', signed(ev({ pad: 'x'.repeat(70_000) })));
    add('gzip body', { path, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'stripe-signature': signStripePayload(valid, secret) }, body: gzipSync(valid) });
    add('deflate claimed, plain sent', signed(valid, { 'content-encoding': 'deflate' }));
    add('text/plain', signed(valid, { 'content-type': 'text/plain' }));
    add('form encoded', signed('a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' }));
    add('content-length too small', { path, headers: { 'content-type': 'application/json', 'content-length': '5', 'stripe-signature': signStripePayload(valid, secret) }, body: valid.slice(0, 5) });
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) add(`method ${method}`, { method, path, headers: {} });
    add('query string', { ...signed(valid), path: `${path}?x=1&x=2&__proto__=1` });
    add('trailing slash and capitals', { ...signed(valid), path: '/API/payments/stripe/webhook/' });
    add('double slash', { ...signed(valid), path: '/api//payments/stripe/webhook' });
    return cases;
  }

  function paystackCases(): Case[] {
    const key = TEST_SECRETS.paystackSecretKey;
    const path = '/api/payments/paystack/webhook';
    const signed = (raw: string) => ({ path, headers: { 'content-type': 'application/json', 'x-paystack-signature': signPaystackPayload(raw, key) }, body: raw });
    const charge = (data: Record<string, unknown>) => JSON.stringify({ event: 'charge.success', data: { reference: `ref_${Math.random().toString(36).slice(2)}`, amount: 500000, currency: 'NGN', status: 'success', customer: { email: 'nobody@example.com', customer_code: 'CUS_h' }, ...data } });
    const cases: Case[] = [];
    const add = (name: string, o: Parameters<typeof send>[1]) => cases.push({ name: `paystack: ${name}`, send: () => send(gw, o) });
    const valid = charge({});
    const sigs: Array<[string, string | undefined]> = [
      ['no signature', undefined],
      ['empty', ''],
      ['short hex', 'abcd'],
      ['sha256 length', 'a'.repeat(64)],
      ['non-hex', 'z'.repeat(128)],
      ['wrong key', signPaystackPayload(valid, 'sk_test_wrong')],
      ['uppercase of a wrong one', signPaystackPayload(valid, 'sk_other').toUpperCase()],
      ['with spaces', ` ${'a'.repeat(128)} `],
    ];
    for (const [name, header] of sigs) add(name, { path, headers: { 'content-type': 'application/json', ...(header === undefined ? {} : { 'x-paystack-signature': header }) }, body: valid });
    const bodies: Array<[string, string]> = [
      ['not JSON', '{"event":'],
      ['null', 'null'],
      ['no event', JSON.stringify({ data: {} })],
      ['event number', JSON.stringify({ event: 1, data: {} })],
      ['data string', JSON.stringify({ event: 'charge.success', data: 'x' })],
      ['data list', JSON.stringify({ event: 'subscription.expiring_cards', data: [{ a: 1 }] })],
      ['reference "."', charge({ reference: '.' })],
      ['reference ".."', charge({ reference: '..' })],
      ['reference with slash', charge({ reference: '../../transaction' })],
      ['reference 10k chars', charge({ reference: 'r'.repeat(10_000) })],
      ['negative amount', charge({ amount: -5 })],
      ['amount 1e308', charge({ amount: 1e308 })],
      ['nested 4000 deep', JSON.stringify({ event: 'charge.success', data: JSON.parse(deep(4000)) as unknown })],
      ['unknown event', JSON.stringify({ event: 'weird.event', data: {} })],
      ['BOM first', '\uFEFF' + valid],
    ];
    for (const [name, raw] of bodies) add(`signed body: ${name}`, signed(raw));
    for (const [name, object] of HOSTILE_OBJECTS) {
      add(`unknown customer, ${name}`, signed(charge({ metadata: object })));
      add(`customer object, ${name}`, signed(charge({ customer: object })));
    }
    return cases;
  }

  function tradingViewCases(): Case[] {
    const cases: Case[] = [];
    const add = (name: string, o: Parameters<typeof send>[1]) => cases.push({ name: `tradingview: ${name}`, send: () => send(gw, o) });
    const alert = (extra: Record<string, unknown> = {}) => JSON.stringify({ secret: trader.secret, symbol: 'BTCUSDT', action: 'buy', ...extra });
    const post = (userPath: string, body: string | Buffer, headers: Record<string, string> = {}) => ({ path: userPath, headers: { 'content-type': 'application/json', ...headers }, body });
    const ids: Array<[string, string]> = [
      ['36 dashes', '-'.repeat(36)],
      ['wrong variant', '3f2b8a4e-6c1d-4e5f-ca7b-0c8d2e4f6a1b'],
      ['version 0', '3f2b8a4e-6c1d-0e5f-9a7b-0c8d2e4f6a1b'],
      ['no dashes', '3f2b8a4e6c1d4e5f9a7b0c8d2e4f6a1b0000'],
      ['too long', `${UUID}0`],
      ['traversal', '..%2F..%2Fadmin'],
      ['unicode', encodeURIComponent('３f2b8a4e-6c1d-4e5f-9a7b-0c8d2e4f6a1b')],
      ['empty', ''],
      ['unknown but valid', UUID],
      ['NUL', `${UUID.slice(0, 35)}%00`],
    ];
    for (const [name, id] of ids) {
      add(`user id in path: ${name}`, post(`/api/tradingview/webhook/${id}`, alert()));
      add(`user id in query: ${name}`, post(`/api/tradingview/webhook?user_id=${id}`, alert()));
    }
    add('user id given twice', post(`/api/tradingview/webhook?user_id=${trader.id}&user_id=${UUID}`, alert()));
    add('user id as an object', post(`/api/tradingview/webhook?user_id[a]=1`, alert()));
    const me = `/api/tradingview/webhook/${trader.id}`;
    const bodies: Array<[string, string]> = [
      ['nested 4000 deep', `{"secret":"${trader.secret}","a":${deep(4000)}}`],
      ['nested 40 deep', `{"secret":"${trader.secret}","a":${deep(40)}}`],
      ['arrays 7000 deep', `{"secret":"${trader.secret}","a":${deepArray(7000)}}`],
      ['not JSON', 'buy BTCUSDT now please'],
      ['empty', ''],
      ['null', 'null'],
      ['array', '[1,2,3]'],
      ['no secret', JSON.stringify({ symbol: 'BTCUSDT', action: 'buy' })],
      ['wrong secret', alert({ secret: 'not-the-secret' })],
      ['secret a number', alert({ secret: 12345 })],
      ['secret 10k chars', alert({ secret: 's'.repeat(10_000) })],
      ['placeholder', alert({ quantity: '{{strategy.order.contracts}}' })],
      ['huge quantity', alert({ quantity: 1e308 })],
      ['negative quantity', alert({ quantity: -1 })],
      ['quantity string', alert({ quantity: 'lots' })],
      ['symbol $-key', alert({ symbol: { $gt: '' } })],
      ['symbol 1000 chars', alert({ symbol: 'B'.repeat(1000) })],
      ['action unknown', alert({ action: 'launch' })],
      ['leverage 1e9', alert({ leverage: 1e9 })],
      ['stop loss object', alert({ stop_loss: { $where: 1 } })],
      ['BOM first', '\uFEFF' + alert()],
      ['NUL in symbol', alert({ symbol: 'BTC\u0000USDT' })],
      ['oversized', alert({ pad: 'x'.repeat(20_000) })],
      ['time far past', alert({ time: '1970-01-01T00:00:00Z' })],
      ['time garbage', alert({ time: 'yesterday-ish' })],
    ];
    for (const [name, raw] of bodies) add(`body: ${name}`, post(me, raw));
    for (const [name, object] of HOSTILE_OBJECTS) add(`body field: ${name}`, post(me, alert({ extra: object })));
    add('text/plain', post(me, alert(), { 'content-type': 'text/plain' }));
    add('gzip', post(me, gzipSync(alert()), { 'content-encoding': 'gzip' }));
    add('x-signature garbage', post(me, alert(), { 'x-signature': 'sha256=zz' }));
    add('x-signature long', post(me, alert(), { 'x-signature': `sha256=${'a'.repeat(5000)}` }));
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD']) add(`method ${method}`, { method, path: me });
    return cases;
  }

  function signedInCases(): Case[] {
    const cases: Case[] = [];
    const add = (name: string, o: Parameters<typeof send>[1]) => cases.push({ name: `signed-in: ${name}`, send: () => send(gw, o) });
    const s = TEST_SECRETS.jwtSecret;
    const good = jwt.sign({ sub: trader.id }, s, { algorithm: 'HS256', expiresIn: 300 });
    const unsigned = (payload: object) => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    const tokens: Array<[string, string | undefined]> = [
      ['no authorization', undefined],
      ['Bearer only', 'Bearer'],
      ['Bearer empty', 'Bearer '],
      ['Basic', 'Basic dXNlcjpwYXNz'],
      ['three dots', 'Bearer x.y.z'],
      ['alg none', `Bearer ${unsigned({ sub: trader.id, exp: nowSeconds() + 300 })}`],
      ['expired', `Bearer ${jwt.sign({ sub: trader.id }, s, { algorithm: 'HS256', expiresIn: -10 })}`],
      ['wrong secret', `Bearer ${jwt.sign({ sub: trader.id }, 'another-secret-that-is-long-enough-000000', { algorithm: 'HS256', expiresIn: 300 })}`],
      ['sub a number', `Bearer ${jwt.sign({ sub: 12 }, s, { algorithm: 'HS256', expiresIn: 300 })}`],
      ['sub missing', `Bearer ${jwt.sign({ x: 1 }, s, { algorithm: 'HS256', expiresIn: 300 })}`],
      ['sub not a user', `Bearer ${jwt.sign({ sub: '-'.repeat(36) }, s, { algorithm: 'HS256', expiresIn: 300 })}`],
      ['sub unknown user', `Bearer ${jwt.sign({ sub: UUID }, s, { algorithm: 'HS256', expiresIn: 300 })}`],
      ['huge token', `Bearer ${'a'.repeat(8000)}`],
      ['HS512', `Bearer ${jwt.sign({ sub: trader.id }, s, { algorithm: 'HS512', expiresIn: 300 })}`],
    ];
    const routes = ['/api/payments/stripe/create-checkout', '/api/payments/paystack/initialize'];
    for (const route of routes) {
      for (const [name, auth] of tokens) {
        add(`${route}: ${name}`, { path: route, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify({ plan: 'pro' }) });
      }
      const bodies: Array<[string, string]> = [
        ['not JSON', '{plan'],
        ['array', '[]'],
        ['plan unknown', JSON.stringify({ plan: 'platinum' })],
        ['plan 10k chars', JSON.stringify({ plan: 'p'.repeat(10_000) })],
        ['plan $-object', JSON.stringify({ plan: { $ne: null } })],
        ['javascript: success_url', JSON.stringify({ plan: 'pro', success_url: 'javascript:alert(1)', cancel_url: 'https://x.example/c' })],
        ['ftp success_url', JSON.stringify({ plan: 'pro', success_url: 'ftp://x.example/s', cancel_url: 'https://x.example/c' })],
        ['nested 4000 deep', `{"plan":"pro","x":${deep(4000)}}`],
        ['oversized', JSON.stringify({ plan: 'pro', pad: 'x'.repeat(40_000) })],
      ];
      for (const [name, raw] of bodies) add(`${route}: ${name}`, { path: route, headers: { 'content-type': 'application/json', authorization: `Bearer ${good}` }, body: raw });
      for (const host of ['a b', '', 'x:99999', '[::1', 'evil.example', '127.0.0.1:0', '%00']) {
        add(`${route}: Host ${JSON.stringify(host)}`, { path: route, headers: { host, 'content-type': 'application/json', authorization: `Bearer ${good}` }, body: JSON.stringify({ plan: 'pro' }) });
      }
    }
    return cases;
  }

  function callbackCases(): Case[] {
    const cases: Case[] = [];
    const refs = ['.', '..', '../transaction/totals', '', 'r'.repeat(101), '%00', 'ünïcode', 'ref_unknown_123', 'a b', '-leading', '_leading'];
    for (const method of ['GET', 'HEAD', 'POST']) {
      for (const ref of refs) {
        cases.push({ name: `paystack callback ${method} reference=${JSON.stringify(ref)}`, result: true, send: () => send(gw, { method, path: `/api/payments/paystack/callback?reference=${encodeURIComponent(ref)}` }) });
      }
      cases.push({ name: `paystack callback ${method} without reference`, send: () => send(gw, { method, path: '/api/payments/paystack/callback' }) });
      cases.push({ name: `paystack callback ${method} trxref twice`, send: () => send(gw, { method, path: '/api/payments/paystack/callback?trxref=a&trxref=b' }) });
    }
    return cases;
  }

  function opsAndFramingCases(): Case[] {
    const cases: Case[] = [];
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']) {
      for (const path of ['/healthz', '/readyz', '/metrics']) cases.push({ name: `${method} ${path}`, send: () => send(gw, { method, path }) });
    }
    for (const path of ['/api/%zz', '/api/..%2f..%2fetc/passwd', `/api/${'a'.repeat(7000)}`, '/api?__proto__[x]=1', '/%', '/api/tradingview/webhook/%E0%A4%A']) {
      cases.push({ name: `GET ${path.slice(0, 40)}`, send: () => send(gw, { method: 'GET', path }) });
    }
    const raw: Array<[string, string]> = [
      ['bad request line', 'GARBAGE\r\n\r\n'],
      ['header without colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n'],
      ['two different content-lengths', 'POST /api/payments/stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'],
      ['content-length and chunked', 'POST /api/payments/stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['bad chunk size', 'POST /api/payments/stripe/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
      ['negative content-length', 'POST /api/payments/stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
      ['HTTP/0.9', 'GET /healthz\r\n\r\n'],
      ['unknown version', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'],
      ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['control character in header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n'],
      ['space before colon', 'GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n'],
      ['obsolete line folding', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
      ['no Host on HTTP/1.1', 'GET /healthz HTTP/1.1\r\n\r\n'],
      ['absolute URI', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['CONNECT', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'],
    ];
    for (const [name, bytes] of raw) cases.push({ name: `framing: ${name}`, framing: true, send: () => sendRaw(gw, bytes) });
    return cases;
  }

  it('answers every one without a 5xx, with JSON errors, in time, and stays healthy', async () => {
    const groups = [stripeCases(), paystackCases(), tradingViewCases(), signedInCases(), callbackCases(), opsAndFramingCases()];
    const total = groups.reduce((n, g) => n + g.length, 0);
    expect(total).toBeGreaterThanOrEqual(300);
    const problems: string[] = [];
    for (const group of groups) {
      // A few at a time: bounded, but concurrent like a real attack.
      for (let i = 0; i < group.length; i += 8) {
        await Promise.all(
          group.slice(i, i + 8).map(async (c) => {
            let hit: Hit;
            try {
              hit = await c.send();
            } catch (err) {
              problems.push(`${c.name}: ${(err as Error).message}`);
              return;
            }
            if (hit.status >= 500) problems.push(`${c.name}: ${hit.status} ${hit.text.slice(0, 200)}`);
            if (!c.framing && hit.status >= 400 && hit.text !== '') {
              let body: unknown;
              try {
                body = JSON.parse(hit.text);
              } catch {
                body = undefined;
              }
              const b = body as { error?: unknown; message?: unknown; status?: unknown } | undefined;
              const refusal = typeof b?.error === 'string' && typeof b.message === 'string';
              if (!refusal && !(c.result && b?.status === 'failed')) problems.push(`${c.name}: ${hit.status} without a JSON error: ${hit.text.slice(0, 120)}`);
            }
          }),
        );
      }
      const health = await send(gw, { method: 'GET', path: '/healthz' });
      if (health.status !== 200) problems.push(`/healthz answered ${health.status} after a group`);
    }
    expect(problems).toEqual([]);
    for (const name of ['gateway', 'billing', 'trading']) expect(h.stack.children.get(name)?.proc.exitCode).toBeNull();
  });

  it('cuts a client that sends its headers too slowly, and keeps serving others meanwhile', async () => {
    const url = new URL(gw);
    const socket = net.connect(Number(url.port), url.hostname);
    const began = Date.now();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - began)));
    socket.on('error', () => undefined);
    socket.write('POST /api/payments/stripe/webhook HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Slow: a\r\n'), 500);
    try {
      expect((await send(gw, { method: 'GET', path: '/healthz' })).status).toBe(200);
      const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 8000))]);
      expect(ms).toBeLessThan(5000);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it('closes connections past HTTP_MAX_CONNECTIONS at once', async () => {
    const url = new URL(gw);
    const sockets = await Promise.all(
      Array.from({ length: 70 }, () => new Promise<net.Socket>((resolve) => {
        const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
        s.on('error', () => undefined);
      })),
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(sockets.filter((s) => s.destroyed || s.readableEnded).length).toBeGreaterThanOrEqual(6);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await send(gw, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('refuses compressed bodies on signed routes: a signature is over what was sent', async () => {
    const raw = JSON.stringify({ secret: trader.secret, symbol: 'BTCUSDT', action: 'buy' });
    const hit = await send(gw, { path: `/api/tradingview/webhook/${trader.id}`, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(raw) });
    expect({ status: hit.status, body: JSON.parse(hit.text) as unknown }).toMatchObject({ status: 415, body: { error: 'unsupported_encoding' } });
  });

  it('applies or parks hostile provider payloads for unknown users instead of failing on them', async () => {
    const secret = TEST_SECRETS.stripeWebhookSecrets[0]!;
    const outcomes: Record<string, string> = {};
    await Promise.all(
      HOSTILE_OBJECTS.map(async ([name, object]) => {
        const raw = JSON.stringify({
          id: `evt_park_${Math.random().toString(36).slice(2)}`,
          type: 'customer.subscription.updated',
          created: nowSeconds(),
          data: { object: { id: 'sub_p', customer: `cus_p${Math.random().toString(36).slice(2)}`, status: 'active', metadata: { user_id: UUID }, extra: object } },
        });
        const hit = await send(gw, { path: '/api/payments/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(raw, secret) }, body: raw });
        expect(hit.status).toBe(200);
        outcomes[name] = await outcomeOf(h.stack, (JSON.parse(hit.text) as { event_id: string }).event_id);
      }),
    );
    expect(Object.keys(outcomes)).toHaveLength(HOSTILE_OBJECTS.length);
    // Not dead letters, not failures: the user does not exist, so they are parked.
    expect(Object.values(outcomes).every((o) => o === 'unmatched' || o === 'ignored')).toBe(true);
  });
});
