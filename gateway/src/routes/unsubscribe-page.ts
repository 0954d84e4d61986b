/**
 * The pages a person sees on the unsubscribe link. Plain HTML, no script, no outside
 * resources; the only dynamic part is the token, which is checked to be base64url before
 * it gets here and is escaped anyway.
 */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

/**
 * GET: asks before acting. Link scanners and previews fetch every link in a mail; only a
 * POST (the button here, or the mail client's RFC 8058 one-click POST) unsubscribes.
 */
export function confirmPage(token: string): string {
  return page(
    'Unsubscribe from these emails?',
    `<p>You will stop receiving this kind of notification by email. Telegram and webhook notifications are not affected, and you can turn email back on in the app's notification settings.</p>
<form method="post" action="?token=${encodeURIComponent(token)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

export function donePage(eventType: string): string {
  const what = eventType === '*' ? 'any notification' : `"${escapeHtml(eventType)}" notifications`;
  return page('You are unsubscribed', `<p>You will not receive ${what} by email any more. You can change this in the app's notification settings.</p>`);
}

/** A token is `<base64url>.<base64url>` (services/notifications/src/channels/email/unsubscribe-token.ts); the signature is checked by notifications. */
export function looksLikeUnsubscribeToken(token: unknown): token is string {
  return typeof token === 'string' && token.length <= 1024 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
