import { createHmac, randomUUID } from 'node:crypto';
import { createTokenVerifier, type TokenCheck } from '../src/token-verifier';
import { JwksServer, signingKey, signToken, type SigningKey } from './support/jwks-server';

const SECRET = 'unit-test-jwt-secret-that-is-long-enough-0001';
const rules = { maxAgeSeconds: 3600, audience: 'tradingbot-api', issuer: 'https://id.example.com/' };
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** A token signed HS256 by hand, with any header: for the forgeries jose would not make. */
const hs256 = (header: object, claims: object, key: string | Buffer) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};
const now = () => Math.floor(Date.now() / 1000);

describe('user tokens (HS256 and JWKS)', () => {
  let jwks: JwksServer;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  const user = randomUUID();
  const good = { sub: user, aud: rules.audience, iss: rules.issuer };

  beforeAll(async () => {
    rsa = await signingKey('RS256', 'rsa-1');
    ec = await signingKey('ES256', 'ec-1');
    stranger = await signingKey('RS256', 'rsa-1'); // same kid, another key
    jwks = await new JwksServer().start([rsa, ec]);
  });
  afterAll(() => jwks.stop());

  const refused = (code: string, status = 401) => ({ ok: false, status, code, message: expect.any(String) });

  it('accepts RS256 and ES256 tokens signed with the JWKS keys, and HS256 with the secret', async () => {
    const verify = createTokenVerifier({ secret: SECRET, jwksUrl: jwks.url }, rules)!;
    const ok: TokenCheck = { ok: true, userId: user, roles: [] };
    expect(await verify(await signToken(rsa, good, { expiresIn: 300 }))).toEqual(ok);
    expect(await verify(await signToken(ec, good, { expiresIn: 300 }))).toEqual(ok);
    expect(await verify(hs256({ alg: 'HS256', typ: 'JWT' }, { ...good, iat: now(), exp: now() + 300 }, SECRET))).toEqual(ok);
  });

  it('reads the roles from the configured claim: a list, a space-separated string, a dotted path; anything else is no role', async () => {
    const roles = async (claims: object, rolesClaim?: string) => {
      const verify = createTokenVerifier({ secret: SECRET }, { ...rules, rolesClaim })!;
      const check = await verify(hs256({ alg: 'HS256', typ: 'JWT' }, { ...good, iat: now(), exp: now() + 300, ...claims }, SECRET));
      return check.ok ? check.roles : check.code;
    };
    expect(await roles({ roles: ['operator', 'trader'] })).toEqual(['operator', 'trader']);
    expect(await roles({ roles: 'operator  trader' })).toEqual(['operator', 'trader']);
    expect(await roles({ roles: ['operator', 7, null] })).toEqual(['operator']);
    expect(await roles({ roles: { operator: true } })).toEqual([]);
    expect(await roles({ roles: ['operator'] }, 'groups')).toEqual([]);
    expect(await roles({ groups: ['operator'] }, 'groups')).toEqual(['operator']);
    expect(await roles({ realm_access: { roles: ['operator'] } }, 'realm_access.roles')).toEqual(['operator']);
    expect(await roles({ 'https://tbot.example/roles': ['operator'] }, 'https://tbot.example/roles')).toEqual(['operator']);
  });

  it('refuses the wrong key, an unknown kid, and claims that do not fit, each with its code', async () => {
    const verify = createTokenVerifier({ secret: SECRET, jwksUrl: jwks.url }, rules)!;
    expect(await verify(await signToken(stranger, good, { expiresIn: 300 }))).toEqual(refused('invalid_token'));
    expect(await verify(await signToken(rsa, good, { expiresIn: 300, kid: 'rsa-unknown' }))).toEqual(refused('unknown_key'));
    expect(await verify(await signToken(rsa, { ...good, aud: 'another-app' }, { expiresIn: 300 }))).toEqual(refused('invalid_audience'));
    expect(await verify(await signToken(rsa, { ...good, iss: 'https://evil.example/' }, { expiresIn: 300 }))).toEqual(refused('invalid_issuer'));
    expect(await verify(await signToken(rsa, good, { expiresIn: -10 }))).toEqual(refused('token_expired'));
    expect(await verify(await signToken(rsa, good, { expiresIn: 300, iat: now() - 7200 }))).toEqual(refused('token_expired'));
    expect(await verify(await signToken(rsa, good))).toEqual(refused('invalid_token')); // no exp
    expect(await verify(await signToken(rsa, { ...good, sub: 'admin' }, { expiresIn: 300 }))).toEqual(refused('invalid_token'));
    expect(await verify('not.a.jwt')).toEqual(refused('invalid_token'));
  });

  it('lets no token choose its algorithm: none, HS256 keyed with a public key, others', async () => {
    const verify = createTokenVerifier({ secret: SECRET, jwksUrl: jwks.url }, rules)!;
    const claims = { ...good, iat: now(), exp: now() + 300 };
    expect(await verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)).toEqual(refused('algorithm_not_allowed'));
    // Algorithm confusion: HS256 "signed" with the RSA public key (as PEM and as JWK text), kid of the RSA key.
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: rsa.jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const key of [pem, JSON.stringify(rsa.jwk)]) {
      expect(await verify(hs256({ alg: 'HS256', kid: 'rsa-1' }, claims, key))).toEqual(refused('invalid_token'));
    }
    for (const alg of ['HS512', 'RS512', 'PS256', 'ES384', 'EdDSA', '', 'hs256']) {
      expect(await verify(hs256({ alg, kid: 'rsa-1' }, claims, SECRET))).toEqual(refused('algorithm_not_allowed'));
    }
    // Without a JWKS, RS256 is not accepted at all; without a secret, HS256 is not.
    const hsOnly = createTokenVerifier({ secret: SECRET }, rules)!;
    expect(await hsOnly(await signToken(rsa, good, { expiresIn: 300 }))).toEqual(refused('algorithm_not_allowed'));
    const jwksOnly = createTokenVerifier({ jwksUrl: jwks.url }, rules)!;
    expect(await jwksOnly(hs256({ alg: 'HS256' }, claims, SECRET))).toEqual(refused('algorithm_not_allowed'));
    expect(createTokenVerifier({}, rules)).toBeUndefined();
  });

  it('answers 503 auth_unavailable when the JWKS cannot be loaded, and works once it can', async () => {
    const down = await new JwksServer().start([rsa]);
    down.failWith = 500;
    const verify = createTokenVerifier({ jwksUrl: down.url }, rules)!;
    const token = await signToken(rsa, good, { expiresIn: 300 });
    try {
      expect(await verify(token)).toEqual(refused('auth_unavailable', 503));
      const closed = createTokenVerifier({ jwksUrl: 'http://127.0.0.1:1/jwks.json' }, rules)!;
      expect(await closed(token)).toEqual(refused('auth_unavailable', 503));
      down.failWith = undefined;
      expect(await verify(token)).toEqual({ ok: true, userId: user, roles: [] });
    } finally {
      await down.stop();
    }
  });

  it('fetches the key set once, not per token, and not again for every made-up kid', async () => {
    const server = await new JwksServer().start([rsa]);
    try {
      const verify = createTokenVerifier({ jwksUrl: server.url }, rules)!;
      for (let i = 0; i < 5; i++) expect((await verify(await signToken(rsa, good, { expiresIn: 300 }))).ok).toBe(true);
      for (let i = 0; i < 5; i++) expect(await verify(await signToken(rsa, good, { expiresIn: 300, kid: `made-up-${i}` }))).toEqual(refused('unknown_key'));
      expect(server.fetches).toBeLessThanOrEqual(2);
    } finally {
      await server.stop();
    }
  });
});
