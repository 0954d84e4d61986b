import { createHash, randomBytes } from 'node:crypto';

/**
 * One-time link codes. A code travels in a deep link `t.me/<bot>?start=<code>`, whose
 * start parameter Telegram limits to 64 characters of `A-Z a-z 0-9 _ -`: base64url of 24
 * random bytes is 32 such characters and 192 bits, far beyond guessing.
 */
export const LINK_CODE_BYTES = 24;
export const LINK_CODE_TTL_MS = 15 * 60_000;
const CODE_SHAPE = /^[A-Za-z0-9_-]{32}$/;

export function newLinkCode(): string {
  return randomBytes(LINK_CODE_BYTES).toString('base64url');
}

/**
 * What is stored instead of the code: someone who reads the database must not be able to
 * link their chat to another user's account with a code still pending. A plain hash is
 * enough: the code has 192 random bits, there is nothing to brute-force.
 */
export function hashLinkCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export function looksLikeLinkCode(text: string): boolean {
  return CODE_SHAPE.test(text);
}

export type BotCommand = { command: 'start'; payload?: string } | { command: 'stop' };

/**
 * Reads `/start <code>`, `/start@BotName <code>` and `/stop` from a message text. In groups
 * Telegram clients append `@BotName` to commands; a command addressed to another bot is
 * not ours.
 */
export function parseBotCommand(text: string | undefined, botUsername: string | undefined): BotCommand | undefined {
  if (!text) return undefined;
  const m = /^\/(start|stop)(?:@([A-Za-z0-9_]+))?(?:\s+(\S+))?\s*$/.exec(text.trim());
  if (!m) return undefined;
  const [, command, addressee, payload] = m;
  if (addressee && botUsername && addressee.toLowerCase() !== botUsername.toLowerCase()) return undefined;
  if (command === 'stop') return { command: 'stop' };
  return payload ? { command: 'start', payload } : { command: 'start' };
}
