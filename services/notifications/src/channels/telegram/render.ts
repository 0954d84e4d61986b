import type { Notification } from '../../channel';

/**
 * Telegram's limit on a message: "1-4096 characters after entities parsing", i.e. what the
 * user sees, counted in UTF-16 code units (Telegram's entity offsets are UTF-16). Tags and
 * `&amp;`-style entities do not count; the characters they stand for do.
 */
export const MAX_MESSAGE_LENGTH = 4096;

const ELLIPSIS = '…';

/**
 * Escapes text for `parse_mode: "HTML"`. Telegram's HTML mode needs exactly `<`, `>` and
 * `&` escaped; nothing else is special (unlike MarkdownV2, where `-`, `_`, `*`, `[`, `.`
 * and a dozen more must be escaped and every OKX instrument id `BTC-USDT-SWAP` breaks an
 * unescaped message).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
}

/**
 * Cuts plain text to at most `max` UTF-16 code units, ending with "…" when cut. Never
 * splits a surrogate pair (half an emoji would make the message invalid UTF-8 on the wire).
 */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - ELLIPSIS.length;
  if (end <= 0) return ELLIPSIS.slice(0, max);
  const last = text.charCodeAt(end - 1);
  // A high surrogate at the cut: its low half would be dropped, so drop it too.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + ELLIPSIS;
}

/** What a notification becomes on Telegram: a bold title line, then the body. */
export interface RenderedMessage {
  /** HTML for sendMessage with parse_mode HTML. */
  html: string;
  /** The same message as the user sees it (what Telegram's 4096 limit counts). */
  visibleLength: number;
}

/**
 * Renders title and body. Truncation happens on the plain text, before escaping, so a cut
 * can never land inside `&amp;` or leave `<b>` unclosed; the title keeps at most a quarter
 * of the room so a runaway title cannot crowd out the body.
 */
export function renderMessage(n: Pick<Notification, 'title' | 'text'>, max = MAX_MESSAGE_LENGTH): RenderedMessage {
  const title = n.title.trim();
  const body = n.text.trim();
  if (!title) {
    const text = truncatePlain(body || ' ', max);
    return { html: escapeHtml(text), visibleLength: text.length };
  }
  const titlePart = truncatePlain(title, body ? Math.max(1, Math.floor(max / 4)) : max);
  if (!body) return { html: `<b>${escapeHtml(titlePart)}</b>`, visibleLength: titlePart.length };
  const bodyPart = truncatePlain(body, max - titlePart.length - 1);
  if (!bodyPart) return { html: `<b>${escapeHtml(titlePart)}</b>`, visibleLength: titlePart.length };
  return {
    html: `<b>${escapeHtml(titlePart)}</b>\n${escapeHtml(bodyPart)}`,
    visibleLength: titlePart.length + 1 + bodyPart.length,
  };
}
