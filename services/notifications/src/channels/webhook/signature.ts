import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec/standard-webhooks.md):
 * the signed content is `<webhook-id>.<webhook-timestamp>.<body>`, signed with HMAC-SHA256
 * keyed by the base64-decoded part of the `whsec_` secret, sent as `v1,<base64>`; several
 * signatures (a secret rotation's overlap) are space-separated and any one may match.
 */

const PREFIX = 'whsec_';

/** 32 random bytes, as a receiver's Standard Webhooks library expects: `whsec_<base64>`. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export function isWebhookSecret(s: string): boolean {
  if (!s.startsWith(PREFIX)) return false;
  const key = Buffer.from(s.slice(PREFIX.length), 'base64');
  return key.length >= 24 && key.length <= 64;
}

export function signatureOf(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(PREFIX)) throw new Error('not a whsec_ secret');
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The webhook-signature header: one signature per secret that is still valid. */
export function signatureHeader(secrets: string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => signatureOf(s, id, timestampSeconds, body)).join(' ');
}
