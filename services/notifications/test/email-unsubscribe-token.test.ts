import {
  ALL_EVENT_TYPES,
  signUnsubscribeToken,
  UNSUBSCRIBE_TOKEN_TTL_MS,
  verifyUnsubscribeToken,
} from '../src/channels/email/unsubscribe-token';

const SECRET = 'unsubscribe-secret-for-tests-0123456789';
const OTHER_SECRET = 'another-secret-of-enough-length-987654321';
const NOW = new Date('2026-01-01T00:00:00Z');

describe('unsubscribe tokens', () => {
  it('round-trips user and event type, and is URL-safe as it is', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'user-42', type: 'order.filled' }, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyUnsubscribeToken(SECRET, token, NOW)).toEqual({
      ok: true,
      userId: 'user-42',
      type: 'order.filled',
      expiresAt: new Date(NOW.getTime() + UNSUBSCRIBE_TOKEN_TTL_MS),
    });
  });

  it('carries "*" for every event type', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'u1', type: ALL_EVENT_TYPES }, NOW);
    expect(verifyUnsubscribeToken(SECRET, token, NOW)).toMatchObject({ ok: true, type: '*' });
  });

  it('lasts a year, then expires', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'u1', type: '*' }, NOW);
    const day = 24 * 60 * 60 * 1000;
    expect(verifyUnsubscribeToken(SECRET, token, new Date(NOW.getTime() + 364 * day)).ok).toBe(true);
    expect(verifyUnsubscribeToken(SECRET, token, new Date(NOW.getTime() + 366 * day))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token signed with another secret', () => {
    const token = signUnsubscribeToken(OTHER_SECRET, { userId: 'u1', type: '*' }, NOW);
    expect(verifyUnsubscribeToken(SECRET, token, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts either secret during a rotation', () => {
    const old = signUnsubscribeToken(OTHER_SECRET, { userId: 'u1', type: '*' }, NOW);
    expect(verifyUnsubscribeToken([SECRET, OTHER_SECRET], old, NOW).ok).toBe(true);
  });

  it('refuses a payload changed to another user, another type or a later expiry', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'victim', type: 'order.filled' }, NOW);
    const [payload, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    for (const change of [{ u: 'attacker' }, { t: '*' }, { e: (claims.e as number) + 10 * 365 * 86400 }]) {
      const forged = Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url');
      expect(verifyUnsubscribeToken(SECRET, `${forged}.${signature}`, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('refuses a flipped signature bit and a truncated or extended signature', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'u1', type: '*' }, NOW);
    const [payload, signature] = token.split('.') as [string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    expect(verifyUnsubscribeToken(SECRET, `${payload}.${bytes.toString('base64url')}`, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyUnsubscribeToken(SECRET, `${payload}.${signature.slice(0, 20)}`, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyUnsubscribeToken(SECRET, `${payload}.${signature}AAAA`, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('calls anything that is not two base64url parts malformed', () => {
    const token = signUnsubscribeToken(SECRET, { userId: 'u1', type: '*' }, NOW);
    for (const bad of ['', '.', 'abc', `${token}.x`, token.replace('.', '.+'), `a b.${token.split('.')[1]}`]) {
      expect(verifyUnsubscribeToken(SECRET, bad, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('calls a correctly signed but unreadable payload malformed', () => {
    // Only someone holding the secret could make this; the verifier still must not trust its shape.
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const payload = Buffer.from(JSON.stringify({ u: 'u1' })).toString('base64url');
    const mac = createHmac('sha256', SECRET).update(`tbot.unsubscribe.v1.${payload}`).digest('base64url');
    expect(verifyUnsubscribeToken(SECRET, `${payload}.${mac}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses short secrets and empty claims', () => {
    expect(() => signUnsubscribeToken('short', { userId: 'u1', type: '*' })).toThrow(/at least 32/);
    expect(() => verifyUnsubscribeToken('short', 'a.b')).toThrow(/at least 32/);
    expect(() => signUnsubscribeToken(SECRET, { userId: '', type: '*' })).toThrow(/non-empty/);
  });
});
