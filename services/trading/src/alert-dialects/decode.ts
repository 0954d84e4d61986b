/**
 * From the bytes TradingView posts to JSON or text. TradingView sends the alert message as
 * the user typed it, so what people paste from tools' docs arrives as is: JSON with `//`
 * comments and trailing commas, or a JSON document inside a JSON string. Those are read;
 * anything that starts like JSON but is not is refused as such, since reading it as text
 * would only produce a more confusing error.
 */
import type { AlertRefusal } from '../alert';

export type Decoded = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

const notJson: AlertRefusal = {
  ok: false,
  code: 'malformed_alert',
  // The parser's own error text quotes the body, which may contain the secret: not passed on.
  message: 'the alert message is not valid JSON; it must be a JSON object such as {"symbol":"BTCUSDT","action":"buy"} or a text command such as "buy BTCUSDT 0.01"',
};

export function decodeMessage(raw: string): Decoded | AlertRefusal {
  // A UTF-8 BOM is what some editors prepend when users paste the template; it is not content.
  const text = raw.replace(/^\uFEFF/, '');
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, code: 'malformed_alert', message: 'the alert message is empty' };
  if (!/^[[{"]/.test(trimmed)) return { kind: 'text', text };
  let value = parseLenient(trimmed);
  // A JSON document inside a JSON string: what a Pine script's alert_message gives when quoted once too often.
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) value = parseLenient(value.trim());
  if (value === undefined || typeof value === 'string') return notJson;
  return { kind: 'json', value };
}

function parseLenient(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    try {
      return JSON.parse(withoutCommentsAndTrailingCommas(s)) as unknown;
    } catch {
      return undefined;
    }
  }
}

/** Drops // and /* *\/ comments and commas before } or ], leaving strings untouched. */
export function withoutCommentsAndTrailingCommas(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out += s.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && s[i + 1] === '/') {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (ch === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      i = end === -1 ? s.length : end + 2;
    } else if (ch === ',') {
      let j = i + 1;
      while (j < s.length && /\s/.test(s[j]!)) j++;
      if (s[j] !== '}' && s[j] !== ']') out += ch;
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
