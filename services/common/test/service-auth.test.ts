import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from '@connectrpc/connect';
import { ConfigError, loadConfig, serviceAuthConfigShape } from '../src/config';
import { Health, HealthCheckResponse_ServingStatus } from '../src/gen/grpc/health/v1/health_pb';
import { BillingService } from '../src/gen/billing/v1/billing_pb';
import {
  parseServiceTokenSecrets,
  requireServiceToken,
  serviceTokenInterceptor,
  ServiceTokens,
  signServiceToken,
  verifyServiceToken,
} from '../src/service-auth';

const SECRET = 'a'.repeat(32);
const NEXT_SECRET = 'b'.repeat(40);
const NOW = Date.UTC(2026, 0, 1, 12);
const toBilling = { secrets: [SECRET], audience: 'billing', allowedCallers: ['gateway', 'trading'], nowMs: NOW };

const sign = (over: Partial<Parameters<typeof signServiceToken>[0]> = {}) =>
  signServiceToken({ secret: SECRET, issuer: 'gateway', audience: 'billing', nowMs: NOW, ...over });

const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
/** A token with any header and claims, correctly signed: to test what the signature does not cover. */
const forge = (header: unknown, claims: unknown, secret = SECRET) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

describe('service tokens', () => {
  it('accepts a fresh token for this service from an allowed caller', () => {
    const check = verifyServiceToken(sign(), toBilling);
    expect(check).toEqual({ ok: true, claims: { iss: 'gateway', aud: 'billing', iat: NOW / 1000, exp: NOW / 1000 + 300 } });
  });

  it('is a plain HS256 JWT', () => {
    const [header] = sign().split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('refuses an expired token, with a small leeway for clock skew', () => {
    expect(verifyServiceToken(sign(), { ...toBilling, nowMs: NOW + 320_000 })).toMatchObject({ ok: true });
    expect(verifyServiceToken(sign(), { ...toBilling, nowMs: NOW + 331_000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token issued in the future', () => {
    expect(verifyServiceToken(sign({ nowMs: NOW + 120_000 }), toBilling)).toEqual({ ok: false, reason: 'not_yet_valid' });
  });

  it('refuses a token for another service', () => {
    expect(verifyServiceToken(sign({ audience: 'trading' }), toBilling)).toEqual({ ok: false, reason: 'wrong_audience' });
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyServiceToken(sign({ secret: 'c'.repeat(32) }), toBilling)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token whose claims were changed after signing', () => {
    const [header, , signature] = sign().split('.');
    const tampered = `${header}.${b64({ iss: 'gateway', aud: 'billing', iat: NOW / 1000, exp: NOW / 1000 + 99_999 })}.${signature}`;
    expect(verifyServiceToken(tampered, toBilling)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says PermissionDenied-worthy "caller_not_allowed" for a valid token from a caller not on the list', () => {
    expect(verifyServiceToken(sign({ issuer: 'operator' }), toBilling)).toEqual({ ok: false, reason: 'caller_not_allowed' });
  });

  it('accepts every secret of a rotated list, so tokens signed with the old one keep working', () => {
    const rotating = { ...toBilling, secrets: [NEXT_SECRET, SECRET] };
    expect(verifyServiceToken(sign({ secret: SECRET }), rotating)).toMatchObject({ ok: true });
    expect(verifyServiceToken(sign({ secret: NEXT_SECRET }), rotating)).toMatchObject({ ok: true });
    expect(verifyServiceToken(sign({ secret: NEXT_SECRET }), toBilling)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', `${sign()}.x`],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(verifyServiceToken(token, toBilling)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses signed tokens whose header or claims are not ours', () => {
    const claims = { iss: 'gateway', aud: 'billing', iat: NOW / 1000, exp: NOW / 1000 + 300 };
    expect(verifyServiceToken(forge({ alg: 'none' }, claims), toBilling)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyServiceToken(forge({ alg: 'HS256' }, { ...claims, exp: 'soon' }), toBilling)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyServiceToken(forge({ alg: 'HS256' }, [claims]), toBilling)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyServiceToken(forge({ alg: 'HS256' }, claims), toBilling)).toMatchObject({ ok: true });
  });

  it('refuses an unsigned ("alg": "none") token', () => {
    const claims = { iss: 'gateway', aud: 'billing', iat: NOW / 1000, exp: NOW / 1000 + 300 };
    expect(verifyServiceToken(`${b64({ alg: 'none' })}.${b64(claims)}.`, toBilling)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('SERVICE_TOKEN_SECRET', () => {
  it('is a comma-separated list of secrets of at least 32 bytes', () => {
    expect(parseServiceTokenSecrets(` ${NEXT_SECRET} , ${SECRET},`)).toEqual([NEXT_SECRET, SECRET]);
    expect(() => parseServiceTokenSecrets('')).toThrow('no secret');
    expect(() => parseServiceTokenSecrets(`${SECRET},short`)).toThrow('at least 32 bytes');
  });

  it('is required: a service without it does not start, and the message names it but not the value', () => {
    const schema = z.object(serviceAuthConfigShape);
    expect(() => loadConfig(schema, {})).toThrow(new ConfigError(['SERVICE_TOKEN_SECRET is required but not set']));
    let err: unknown;
    try {
      loadConfig(schema, { SERVICE_TOKEN_SECRET: 'too-short-secret' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('SERVICE_TOKEN_SECRET is invalid');
    expect((err as Error).message).not.toContain('too-short-secret');
    expect(loadConfig(schema, { SERVICE_TOKEN_SECRET: `${SECRET},${NEXT_SECRET}` })).toEqual({ SERVICE_TOKEN_SECRET: [SECRET, NEXT_SECRET] });
  });
});

describe('ServiceTokens (client cache)', () => {
  it('keeps one token per audience and renews it before it expires', () => {
    let now = NOW;
    const tokens = new ServiceTokens('gateway', SECRET, () => now);
    const first = tokens.tokenFor('billing');
    expect(tokens.tokenFor('billing')).toBe(first);
    expect(tokens.tokenFor('trading')).not.toBe(first);
    now += 230_000;
    expect(tokens.tokenFor('billing')).toBe(first);
    now += 20_000; // 250 s: within a minute of expiry
    const renewed = tokens.tokenFor('billing');
    expect(renewed).not.toBe(first);
    expect(verifyServiceToken(renewed, { ...toBilling, nowMs: now + 240_000 })).toMatchObject({ ok: true });
  });
});

describe('interceptors', () => {
  const serverWith = (allowedCallers: string[], clientInterceptors: Interceptor[] = []) =>
    createRouterTransport(
      (router) => {
        router.service(BillingService, { getUser: async (req) => ({ id: req.userId, email: 'a@b.c' }) });
        router.service(Health, { check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
      },
      {
        router: { interceptors: [requireServiceToken({ service: 'billing', allowedCallers, secrets: [NEXT_SECRET, SECRET] })] },
        transport: { interceptors: clientInterceptors },
      },
    );
  const userId = '00000000-0000-4000-8000-000000000000';

  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return Code[ConnectError.from(err).code];
    }
  };

  it('lets a client with the interceptor through', async () => {
    const tokens = new ServiceTokens('gateway', SECRET);
    const client = createClient(BillingService, serverWith(['gateway'], [serviceTokenInterceptor(tokens, 'billing')]));
    await expect(client.getUser({ userId })).resolves.toMatchObject({ id: userId });
  });

  it('answers Unauthenticated without a token or with a bad one, PermissionDenied for a caller not allowed', async () => {
    const client = createClient(BillingService, serverWith(['gateway']));
    const call = (authorization?: string) => client.getUser({ userId }, authorization ? { headers: { authorization } } : {});
    expect(await codeOf(call())).toBe('Unauthenticated');
    expect(await codeOf(call('Basic abc'))).toBe('Unauthenticated');
    expect(await codeOf(call('Bearer not.a.token'))).toBe('Unauthenticated');
    expect(await codeOf(call(`Bearer ${signServiceToken({ secret: 'd'.repeat(32), issuer: 'gateway', audience: 'billing' })}`))).toBe('Unauthenticated');
    expect(await codeOf(call(`Bearer ${signServiceToken({ secret: SECRET, issuer: 'gateway', audience: 'trading' })}`))).toBe('Unauthenticated');
    expect(await codeOf(call(`Bearer ${signServiceToken({ secret: SECRET, issuer: 'gateway', audience: 'billing', nowMs: Date.now() - 3_600_000 })}`))).toBe(
      'Unauthenticated',
    );
    expect(await codeOf(call(`Bearer ${signServiceToken({ secret: SECRET, issuer: 'trading', audience: 'billing' })}`))).toBe('PermissionDenied');
    expect(await codeOf(call(`Bearer ${signServiceToken({ secret: SECRET, issuer: 'gateway', audience: 'billing' })}`))).toBe('ok');
  });

  it('never echoes the token in its answer', async () => {
    const client = createClient(BillingService, serverWith(['gateway']));
    const token = signServiceToken({ secret: SECRET, issuer: 'trading', audience: 'billing' });
    const err = await client.getUser({ userId }, { headers: { authorization: `Bearer ${token}` } }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).not.toContain(token.split('.')[2]!);
  });

  it('leaves grpc.health.v1 open: probes cannot send a token', async () => {
    const health = createClient(Health, serverWith(['gateway']));
    await expect(health.check({ service: '' })).resolves.toMatchObject({ status: HealthCheckResponse_ServingStatus.SERVING });
  });
});
