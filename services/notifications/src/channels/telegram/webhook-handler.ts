import { createHash, timingSafeEqual } from 'node:crypto';
import type { TelegramUpdate } from './bot-api';

export type TelegramWebhookResult = { status: 'handled' } | { status: 'forbidden' } | { status: 'bad-request'; reason: string };

/** Telegram accepts 1–256 characters of A-Z a-z 0-9 _ - as setWebhook's secret_token. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{1,256}$/;

export function isValidWebhookSecret(secret: string): boolean {
  return SECRET_SHAPE.test(secret);
}

/**
 * Compares the X-Telegram-Bot-Api-Secret-Token header with the secret in constant time.
 * Telegram does not sign webhook bodies: this header, set with setWebhook's secret_token,
 * is all that tells Telegram from anyone who found the URL. Hashing both sides first
 * gives equal lengths, so neither the content nor the length leaks through timing.
 */
export function webhookSecretMatches(header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const a = createHash('sha256').update(header).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/**
 * A handler for a gateway `setWebhook` route: checks the secret header, then hands the
 * update to `handle` (TelegramLinks.handleUpdate). The route answers 200 for `handled`,
 * 403 for `forbidden`, 400 for `bad-request`; Telegram redelivers on anything but 2xx, and
 * handleUpdate is safe to run twice.
 */
export function createTelegramWebhookHandler(opts: {
  secretToken: string;
  handle: (update: TelegramUpdate) => Promise<unknown>;
}): (secretHeader: string | string[] | undefined, body: unknown) => Promise<TelegramWebhookResult> {
  if (!isValidWebhookSecret(opts.secretToken)) {
    throw new Error('Telegram webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -');
  }
  return async (secretHeader, body) => {
    if (!webhookSecretMatches(secretHeader, opts.secretToken)) return { status: 'forbidden' };
    const update = body as Partial<TelegramUpdate> | undefined;
    if (!update || typeof update !== 'object' || typeof update.update_id !== 'number') {
      return { status: 'bad-request', reason: 'body is not a Telegram Update' };
    }
    await opts.handle(update as TelegramUpdate);
    return { status: 'handled' };
  };
}
