import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureNats, freePort, type Child } from '@tbot/local-stack';
import jwt from 'jsonwebtoken';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process';
import { JwksServer, signingKey, signToken, type SigningKey } from './support/jwks-server';

// A real gateway with AUTH_JWKS_URL pointing at a local JWKS (an OIDC provider's keys)
// and AUTH_JWT_SECRET: both kinds of token sign a user in; every other is a 401 with a code.

const SECRET = 'oidc-test-jwt-secret-that-is-long-enough-01';
const AUDIENCE = 'tradingbot-api';
const ISSUER = 'https://id.example.com/';

describe('signed-in routes with OIDC (JWKS) and HS256 tokens', () => {
  let dataDir: string;
  let nats: Child | undefined;
  let gw: GatewayProcess;
  let jwks: JwksServer;
  let rsa: SigningKey;
  let ec: SigningKey;
  const logs: string[] = [];
  const user = randomUUID();
  const claims = { sub: user, aud: AUDIENCE, iss: ISSUER };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tbot-oidc-'));
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    nats = await ensureNats(natsUrl, path.join(dataDir, 'nats'), (n, line) => logs.push(`${n} | ${line}`));
    rsa = await signingKey('RS256', 'rsa-2026');
    ec = await signingKey('ES256', 'ec-2026');
    jwks = await new JwksServer().start([rsa, ec]);
    gw = await startGatewayProcess(
      'gateway',
      natsUrl,
      { AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: jwks.url, AUTH_JWT_AUDIENCE: AUDIENCE, AUTH_JWT_ISSUER: ISSUER },
      logs,
    );
  });
  afterAll(async () => {
    await gw?.child.stop();
    await nats?.stop();
    await jwks?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * A signed-in route that answers before calling billing: a body that fails validation
   * (400 invalid_request) shows the token was accepted; 401 that it was not.
   */
  const withToken = async (token: string) => {
    const res = await fetch(`${gw.url}/api/payments/stripe/create-checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ plan: 42 }),
    });
    return { status: res.status, body: (await res.json()) as { error: string; message: string } };
  };
  const signedIn = { status: 400, body: { error: 'invalid_request', message: expect.any(String) } };
  const refused = (code: string) => ({ status: 401, body: { error: code, message: expect.any(String) } });

  it('signs in with RS256 and ES256 tokens from the JWKS, and with HS256 tokens from the secret', async () => {
    expect(await withToken(await signToken(rsa, claims, { expiresIn: 300 }))).toEqual(signedIn);
    expect(await withToken(await signToken(ec, claims, { expiresIn: 300 }))).toEqual(signedIn);
    expect(await withToken(jwt.sign(claims, SECRET, { algorithm: 'HS256', expiresIn: 300 }))).toEqual(signedIn);
  });

  it('refuses a wrong key, kid, algorithm, audience or issuer with 401 and a code', async () => {
    const stranger = await signingKey('RS256', 'rsa-2026');
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64({ alg: 'HS256', kid: 'rsa-2026' })}.${b64({ ...claims, iat: now, exp: now + 300 })}`;
    const confused = `${input}.${createHmac('sha256', JSON.stringify(rsa.jwk)).update(input).digest('base64url')}`;
    const cases: Array<[string, string, string]> = [
      ['wrong key', await signToken(stranger, claims, { expiresIn: 300 }), 'invalid_token'],
      ['unknown kid', await signToken(rsa, claims, { expiresIn: 300, kid: 'rsa-1999' }), 'unknown_key'],
      ['alg none', `${b64({ alg: 'none' })}.${b64({ ...claims, iat: now, exp: now + 300 })}.`, 'algorithm_not_allowed'],
      ['HS512', jwt.sign(claims, SECRET, { algorithm: 'HS512', expiresIn: 300 }), 'algorithm_not_allowed'],
      ['HS256 keyed with the public key', confused, 'invalid_token'],
      ['another audience', await signToken(rsa, { ...claims, aud: 'another-app' }, { expiresIn: 300 }), 'invalid_audience'],
      ['another issuer', await signToken(ec, { ...claims, iss: 'https://evil.example/' }, { expiresIn: 300 }), 'invalid_issuer'],
      ['expired', await signToken(ec, claims, { expiresIn: -10 }), 'token_expired'],
      ['no exp', await signToken(rsa, claims), 'invalid_token'],
    ];
    for (const [what, token, code] of cases) {
      expect({ what, ...(await withToken(token)) }).toEqual({ what, ...refused(code) });
    }
  });

  it('logs no token', () => {
    expect(logs.filter((l) => l.includes('eyJ'))).toEqual([]);
  });
});
