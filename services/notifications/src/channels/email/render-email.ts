/**
 * The visible parts of a notification email: subject, a plain-text part and an HTML part.
 * Everything that comes from the notification (titles, texts, symbols such as
 * `BTC-USDT-SWAP`, exchange messages quoted in a reason) is text, never markup: the HTML
 * part escapes all of it, so an order rejection that quotes `<script>` or `a & b` shows
 * exactly that.
 */

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * A subject is one header line: a title with line breaks (or other control characters)
 * becomes one line rather than an error or a folded mess.
 */
export function subjectLine(title: string): string {
  // eslint-disable-next-line no-control-regex
  return title.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function renderEmail(notification: { title: string; text: string }, unsubscribeUrl: string): EmailContent {
  const subject = subjectLine(notification.title);
  const body = notification.text.replace(/\r\n?/g, '\n').trim();
  const text = `${body}\n\n--\nUnsubscribe from these emails: ${unsubscribeUrl}\n`;
  const paragraphs = body
    .split(/\n{2,}/)
    .map((p) => `<p>${p.split('\n').map(escapeHtml).join('<br>\n')}</p>`)
    .join('\n');
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.4">',
    `<h1 style="font-size: 1.2em">${escapeHtml(subject)}</h1>`,
    paragraphs,
    '<hr>',
    `<p style="font-size: 0.85em; color: #666"><a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe from these emails</a></p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject, text, html };
}
