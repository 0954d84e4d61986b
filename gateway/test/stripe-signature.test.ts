import { signStripePayload, verifyStripeSignature } from '../src/webhook-signatures/stripe';
import { signPaystackPayload, verifyPaystackSignature } from '../src/webhook-signatures/paystack';

const body = Buffer.from('{"id":"evt_1","type":"invoice.paid"}');
const secret = 'whsec_test_secret_one';
const now = 1_800_000_000;

describe('Stripe-Signature verification', () => {
  it('accepts a signature made with the endpoint secret', () => {
    const header = signStripePayload(body, secret, now);
    expect(verifyStripeSignature(body, header, [secret], 300, now)).toEqual({ ok: true, timestamp: now });
  });

  it('accepts any v1 when several are sent, and ignores v0 and unknown schemes', () => {
    const good = signStripePayload(body, secret, now).split(',v1=')[1];
    const header = `t=${now},v0=${'a'.repeat(64)},v1=${'b'.repeat(64)},v1=${good},v9=zzz`;
    expect(verifyStripeSignature(body, header, [secret], 300, now).ok).toBe(true);
  });

  it('tries every configured secret, so a secret can be rolled', () => {
    const header = signStripePayload(body, 'whsec_new', now);
    expect(verifyStripeSignature(body, header, ['whsec_old', 'whsec_new'], 300, now).ok).toBe(true);
    expect(verifyStripeSignature(body, header, ['whsec_old'], 300, now)).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('refuses a body changed by one byte', () => {
    const header = signStripePayload(body, secret, now);
    const tampered = Buffer.from(body.toString().replace('invoice.paid', 'invoice.pain'));
    expect(verifyStripeSignature(tampered, header, [secret], 300, now)).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('refuses timestamps outside the tolerance, in the past and in the future', () => {
    expect(verifyStripeSignature(body, signStripePayload(body, secret, now - 301), [secret], 300, now)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(verifyStripeSignature(body, signStripePayload(body, secret, now + 301), [secret], 300, now).ok).toBe(false);
    expect(verifyStripeSignature(body, signStripePayload(body, secret, now - 299), [secret], 300, now).ok).toBe(true);
  });

  it('says what is wrong with a missing or malformed header', () => {
    expect(verifyStripeSignature(body, undefined, [secret], 300, now)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyStripeSignature(body, 'garbage', [secret], 300, now)).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verifyStripeSignature(body, `t=${now}`, [secret], 300, now)).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verifyStripeSignature(body, `v1=${'a'.repeat(64)}`, [secret], 300, now)).toEqual({ ok: false, reason: 'malformed_signature' });
    // A truncated signature must not reach timingSafeEqual with unequal lengths.
    expect(verifyStripeSignature(body, `t=${now},v1=abcd`, [secret], 300, now)).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});

describe('x-paystack-signature verification', () => {
  const key = 'sk_test_paystack';

  it('accepts the hex HMAC-SHA512 of the raw body keyed with the secret key', () => {
    expect(verifyPaystackSignature(body, signPaystackPayload(body, key), key)).toEqual({ ok: true });
  });

  it('refuses another key, a changed body, and malformed headers', () => {
    expect(verifyPaystackSignature(body, signPaystackPayload(body, 'sk_other'), key)).toEqual({ ok: false, reason: 'invalid_signature' });
    expect(verifyPaystackSignature(Buffer.from(`${body} `), signPaystackPayload(body, key), key).ok).toBe(false);
    expect(verifyPaystackSignature(body, undefined, key)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyPaystackSignature(body, 'abc', key)).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});
