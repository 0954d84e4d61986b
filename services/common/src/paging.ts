/**
 * Keyset paging for lists sorted newest first by a time field, with the _id breaking ties:
 * the page token is the last item's (time, id), so a page is one indexed range read however
 * deep it is, and items written meanwhile neither repeat nor shift a page. (Lists whose _id
 * is itself time-sortable page by _id alone.)
 */

/** 1..200, 0 (unset) meaning 50: the page size every list of the public API takes. */
export function pageLimit(pageSize: number): number {
  return Math.min(Math.max(pageSize || 50, 1), 200);
}

export interface PageCursor {
  at: Date;
  id: string;
}

export function encodePageCursor(c: PageCursor): string {
  return Buffer.from(`${c.at.getTime()}|${c.id}`, 'utf8').toString('base64url');
}

/** The cursor a token holds, or undefined when it is not a token encodePageCursor made. */
export function decodePageCursor(token: string): PageCursor | undefined {
  if (token.length > 600 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^(\d{1,15})\|([\x21-\x7e]{1,400})$/.exec(text);
  if (!m) return undefined;
  return { at: new Date(Number(m[1])), id: m[2]! };
}

/** The filter for items after `cursor` in (field desc, _id desc) order. */
export function afterCursor(field: string, cursor: PageCursor | undefined): Record<string, unknown> {
  if (!cursor) return {};
  return { $or: [{ [field]: { $lt: cursor.at } }, { [field]: cursor.at, _id: { $lt: cursor.id } }] };
}

/** Splits the `limit + 1` items read into the page and the next token ('' on the last page). */
export function pageOf<T>(items: T[], limit: number, cursorOf: (item: T) => PageCursor): { items: T[]; nextPageToken: string } {
  const shown = items.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown, nextPageToken: items.length > limit && last ? encodePageCursor(cursorOf(last)) : '' };
}
