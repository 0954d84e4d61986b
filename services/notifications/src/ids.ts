import { randomBytes } from 'node:crypto';

/** Ids that sort by creation time (base36 ms, then randomness), so they double as page tokens. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

export const ID_PATTERN = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{9}[0-9a-f]{12}$`);
