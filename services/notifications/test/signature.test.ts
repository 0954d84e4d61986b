import { activeSecrets } from '../src/channels/webhook/endpoints';
import { isWebhookSecret, newWebhookSecret, signatureHeader, signatureOf } from '../src/channels/webhook/signature';

describe('Standard Webhooks signatures', () => {
  it('matches the specification’s example (whsec_MfKQ…, msg_p5jX…, 1614265330)', () => {
    // From the Standard Webhooks reference libraries' tests: an independent computation.
    expect(signatureOf('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs with every secret in its overlap, space-separated, and changes with id, time or body', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    const header = signatureHeader([a, b], 'dlv_1', 100, '{}');
    expect(header.split(' ')).toEqual([signatureOf(a, 'dlv_1', 100, '{}'), signatureOf(b, 'dlv_1', 100, '{}')]);
    expect(signatureOf(a, 'dlv_2', 100, '{}')).not.toBe(signatureOf(a, 'dlv_1', 100, '{}'));
    expect(signatureOf(a, 'dlv_1', 101, '{}')).not.toBe(signatureOf(a, 'dlv_1', 100, '{}'));
    expect(signatureOf(a, 'dlv_1', 100, '{ }')).not.toBe(signatureOf(a, 'dlv_1', 100, '{}'));
  });

  it('makes secrets of 32 random bytes with the whsec_ prefix', () => {
    const s = newWebhookSecret();
    expect(isWebhookSecret(s)).toBe(true);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(s);
    expect(() => signatureOf('not-a-secret', 'i', 1, '')).toThrow();
  });

  it('keeps a rotated-out secret signing only until its overlap ends', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const secrets = [
      { secret: 'whsec_new', createdAt: now, expiresAt: null },
      { secret: 'whsec_old', createdAt: now, expiresAt: new Date(now.getTime() + 1000) },
      { secret: 'whsec_older', createdAt: now, expiresAt: now },
    ];
    expect(activeSecrets({ secrets }, now).map((s) => s.secret)).toEqual(['whsec_new', 'whsec_old']);
    expect(activeSecrets({ secrets }, new Date(now.getTime() + 1000)).map((s) => s.secret)).toEqual(['whsec_new']);
  });
});
