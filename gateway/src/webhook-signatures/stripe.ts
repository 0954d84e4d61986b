import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'timestamp_out_of_tolerance'
  | 'invalid_signature';

export type StripeSignatureResult = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

/**
 * Checks `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…][,v0=…]` against the raw body:
 * HMAC-SHA256 of "{t}.{body}" keyed with the whole whsec_ secret. Any v1 may match any
 * of our secrets (Stripe signs with old and new during a roll); other schemes are
 * ignored. Unlike stripe-node, timestamps too far in the future are refused as well.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
  toleranceSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): StripeSignatureResult {
  if (!header) return { ok: false, reason: 'missing_signature' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed_signature' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const prefix = Buffer.from(`${timestamp}.`);
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(prefix).update(rawBody).digest();
    // Every candidate is compared (no early exit on the first byte) in constant time.
    if (signatures.some((sig) => timingSafeEqual(sig, expected))) return { ok: true, timestamp };
  }
  return { ok: false, reason: 'invalid_signature' };
}

/** Builds a valid header the way Stripe does; used by tests and the benchmark. */
export function signStripePayload(rawBody: string | Buffer, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const sig = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${sig}`;
}
