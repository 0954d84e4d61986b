import type { DeliveryOutcome } from '../../channel';

/**
 * What an SMTP failure means for a delivery. Pure: takes the fields of a nodemailer error
 * and returns the outcome the dispatcher acts on.
 *
 * The basic reply code (RFC 5321 §4.2.1) gives the class: 4yz is transient, 5yz permanent.
 * The enhanced status code (RFC 3463, e.g. `5.1.1`), when the server sends one, says what
 * the problem is about, and is trusted over the reply text. The decisions:
 *
 * - **delivered** is not decided here: any accepted message is delivered.
 * - **retry**: no reply at all (connection refused/reset, DNS, TLS, timeouts, an aborted
 *   send), every 4yz, 503 (bad sequence: a protocol state problem on that connection), a
 *   full mailbox (552 at RCPT TO, which RFC 5321 §4.5.3.1.10 says to treat as temporary, and
 *   X.2.2 anywhere: quota is freed), and rejections of *our* side: authentication (530, 534,
 *   535, 538; EAUTH) or the sender at MAIL FROM. Those fail every message alike until an
 *   operator fixes SMTP_URL or the From address, and a retry then delivers; failing them
 *   would drop every notification sent meanwhile. The dispatcher bounds the attempts.
 * - **gone** (stop emailing this address): a 5yz at RCPT TO that says the mailbox does not
 *   exist: X.1.1 bad destination mailbox, X.1.2 bad destination system (no such domain),
 *   X.1.6 mailbox moved with no forwarding address, X.1.10 null MX (RFC 7505: the domain
 *   takes no mail), X.2.1 mailbox disabled; without an enhanced code, 551 (user not local)
 *   or a 550/553 whose text says "no such user"/"user unknown"/"does not exist".
 * - **failed** (this message, not the address): any other 5yz: at RCPT TO a policy or
 *   unspecified address problem (X.7.x, X.1.0, X.1.3 bad syntax, which the channel's own
 *   check would normally have caught), at DATA a message problem (554 spam, 552 X.3.4 too
 *   big). A nodemailer envelope error without a server reply is also failed: the address
 *   was refused before it was sent.
 * - An error this table does not know is retried: another attempt costs little, a wrong
 *   "failed" loses the notification.
 */

/** The fields of a nodemailer error the mapping reads (NodemailerError). */
export interface SmtpFailure {
  /** nodemailer's code: ECONNECTION, ETIMEDOUT, ESOCKET, EDNS, ETLS, EAUTH, EENVELOPE, EMESSAGE, EABORT, … */
  code?: string | undefined;
  /** The code before nodemailer set its own, e.g. ECONNREFUSED under ESOCKET. */
  originalCode?: string | undefined;
  /** Basic SMTP reply code, when the server replied. */
  responseCode?: number | undefined;
  /** The server's reply line(s). */
  response?: string | undefined;
  /** The SMTP command the reply answered: "MAIL FROM", "RCPT TO", "DATA", "AUTH PLAIN", "CONN", … */
  command?: string | undefined;
  message: string;
}

/** Every outcome but delivered: what a failed send can mean. */
export type UndeliveredOutcome = Exclude<DeliveryOutcome, { kind: 'delivered' }>;

export interface EnhancedStatus {
  class: 2 | 4 | 5;
  subject: number;
  detail: number;
}

/** The enhanced status code at the start of a reply's text: "550 5.1.1 <x@y>: unknown" → 5.1.1. */
export function parseEnhancedStatus(response: string | undefined): EnhancedStatus | undefined {
  const match = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)/.exec(response ?? '');
  if (!match) return undefined;
  return { class: Number(match[1]) as 2 | 4 | 5, subject: Number(match[2]), detail: Number(match[3]) };
}

const REASON_MAX = 300;
const AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
/** X.Y.Z detail codes (as "subject.detail") that mean the recipient's mailbox will not take mail again. */
const MAILBOX_GONE = new Set(['1.1', '1.2', '1.6', '1.10', '2.1']);
const NO_SUCH_USER =
  /no such (user|mailbox|recipient|address)|(user|recipient|mailbox) unknown|unknown (user|recipient|mailbox)|(user|mailbox|recipient|address) (does not|doesn't) exist|(user|mailbox|recipient) not found/i;

export function smtpFailureOutcome(failure: SmtpFailure): UndeliveredOutcome {
  const code = failure.responseCode;
  const reason = describe(failure);
  if (code === undefined || code < 400 || code > 599) return noReplyOutcome(failure, reason);

  const command = (failure.command ?? '').toUpperCase();
  const enhanced = parseEnhancedStatus(failure.response);
  if (code < 500 || code === 503) return { kind: 'retry', reason };
  if (AUTH_REPLY_CODES.has(code) || command.startsWith('AUTH')) {
    return { kind: 'retry', reason: `smtp authentication refused (check SMTP_URL): ${reason}` };
  }
  if (command === 'MAIL FROM') return { kind: 'retry', reason: `smtp sender refused (check the From address): ${reason}` };
  const mailboxFull = enhanced?.subject === 2 && enhanced.detail === 2;
  if (mailboxFull || (code === 552 && command === 'RCPT TO')) return { kind: 'retry', reason };
  if (command === 'RCPT TO' && recipientIsGone(code, enhanced, failure.response ?? '')) return { kind: 'gone', reason };
  return { kind: 'failed', reason };
}

function recipientIsGone(code: number, enhanced: EnhancedStatus | undefined, response: string): boolean {
  if (enhanced) return enhanced.class === 5 && MAILBOX_GONE.has(`${enhanced.subject}.${enhanced.detail}`);
  if (code === 551) return true;
  return (code === 550 || code === 553) && NO_SUCH_USER.test(response);
}

function noReplyOutcome(failure: SmtpFailure, reason: string): UndeliveredOutcome {
  switch (failure.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return { kind: 'retry', reason: `smtp authentication refused (check SMTP_URL): ${reason}` };
    // nodemailer refused the envelope itself (no recipients, an address it cannot encode):
    // nothing was sent and sending again changes nothing.
    case 'EENVELOPE':
      return { kind: 'failed', reason };
    default:
      return { kind: 'retry', reason };
  }
}

function describe(failure: SmtpFailure): string {
  const what = failure.response
    ? `${failure.command ? `${failure.command}: ` : ''}${failure.response}`
    : [failure.code, failure.originalCode, failure.message].filter(Boolean).join(' ');
  const oneLine = what.replace(/\s+/g, ' ').trim();
  return oneLine.length > REASON_MAX ? `${oneLine.slice(0, REASON_MAX)}…` : oneLine;
}
