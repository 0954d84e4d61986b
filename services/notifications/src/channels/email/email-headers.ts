import { createHash } from 'node:crypto';

/**
 * The headers that make a notification email more than its content: who may unsubscribe how,
 * which event it reports, and an identity that survives retries.
 */

/**
 * The Message-ID of a delivery: the same for every attempt, so when a crash between the
 * SMTP server's accept and our record makes the dispatcher send again, the receiving side
 * (and anyone reading the headers) sees the same Message-ID twice, the documented sign of a
 * duplicate (RFC 5322 §3.6.4), and many receivers fold such duplicates away. A hash rather
 * than the id itself: any delivery id becomes a valid msg-id, and our internal ids stay private.
 */
export function messageIdFor(deliveryId: string, domain: string): string {
  const digest = createHash('sha256').update(`notification-delivery:${deliveryId}`).digest('hex').slice(0, 32);
  return `<${digest}@${domain}>`;
}

/**
 * A URL fit for List-Unsubscribe with one-click POST: RFC 8058 §3.1 requires HTTPS. The URL
 * goes into the header as it is, so it is normalised by the WHATWG URL parser first, which
 * leaves no whitespace, line breaks or angle brackets in it.
 */
export function oneClickUnsubscribeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('email: the unsubscribe URL is not a URL');
  }
  if (parsed.protocol !== 'https:') throw new Error('email: the unsubscribe URL must be https (RFC 8058 one-click unsubscribe)');
  return parsed.href;
}

/** A header value from our own data: one line, no control characters. */
function headerText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** A header value nodemailer writes as given (no encoding, no folding): only for values we built and checked. */
export interface PreparedHeader {
  prepared: true;
  value: string;
}

export type EmailHeaders = Record<string, string | PreparedHeader>;

export function notificationHeaders(input: { eventId: string; type: string; unsubscribeUrl: string }): EmailHeaders {
  return {
    // Exactly one HTTPS link, and the one-click marker that tells Gmail, Yahoo and others
    // they may POST "List-Unsubscribe=One-Click" to it (RFC 2369 §3.2, RFC 8058 §3.1).
    // Prepared: the value is a checked URL in angle brackets, and nodemailer must not
    // encode or fold it.
    'List-Unsubscribe': { prepared: true, value: `<${oneClickUnsubscribeUrl(input.unsubscribeUrl)}>` },
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    // Machine-sent (RFC 3834 §5): vacation responders and other auto-repliers stay silent.
    'Auto-Submitted': 'auto-generated',
    // Which event this email reports: lets support find the event from a forwarded email,
    // and a receiver filter or de-duplicate on it.
    'X-Notification-Event-Id': headerText(input.eventId),
    'X-Notification-Type': headerText(input.type),
  };
}
