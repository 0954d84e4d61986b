import { parseEnhancedStatus, smtpFailureOutcome, type SmtpFailure } from '../src/channels/email/smtp-outcome';

const rcpt = (response: string): SmtpFailure => ({
  code: 'EENVELOPE',
  command: 'RCPT TO',
  responseCode: Number(response.slice(0, 3)),
  response,
  message: `Can't send mail - all recipients were rejected: ${response}`,
});
const at = (command: string, response: string): SmtpFailure => ({
  code: command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE',
  command,
  responseCode: Number(response.slice(0, 3)),
  response,
  message: response,
});

describe('SMTP failure → delivery outcome', () => {
  it.each<[string, SmtpFailure, string]>([
    // No reply at all: the server is down, slow or unreachable.
    ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'retry'],
    ['connection reset', { code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, 'retry'],
    ['greeting timeout', { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, 'retry'],
    ['send aborted by our deadline', { code: 'EABORT', message: 'Message sending aborted' }, 'retry'],
    ['DNS failure', { code: 'EDNS', message: 'getaddrinfo ENOTFOUND smtp.example.com' }, 'retry'],
    ['an error nobody knows', { message: 'something odd' }, 'retry'],
    // 4yz: transient by definition.
    ['421 service not available', at('MAIL FROM', '421 4.3.2 Service not available, closing channel'), 'retry'],
    ['450 mailbox busy', rcpt('450 4.2.1 Mailbox busy, try later'), 'retry'],
    ['451 greylisted', rcpt('451 4.7.1 Greylisted, please retry'), 'retry'],
    ['452 too many recipients', rcpt('452 4.5.3 Too many recipients'), 'retry'],
    ['503 bad sequence', at('DATA', '503 5.5.1 Bad sequence of commands'), 'retry'],
    // Full mailbox: 5yz, but RFC 5321 §4.5.3.1.10 / quota frees up.
    ['552 at RCPT TO', rcpt('552 Requested mail action aborted: exceeded storage allocation'), 'retry'],
    ['5.2.2 over quota', rcpt('550 5.2.2 The email account that you tried to reach is over quota'), 'retry'],
    // Our side refused: fixable by an operator, must not drop the message.
    ['535 authentication failed', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid', message: 'Invalid login' }, 'retry'],
    ['EAUTH without a reply', { code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }, 'retry'],
    ['sender rejected at MAIL FROM', at('MAIL FROM', '553 5.7.1 Sender address rejected: not owned by user'), 'retry'],
    // The recipient's mailbox is gone.
    ['550 5.1.1 user unknown', rcpt('550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown'), 'gone'],
    ['550 5.1.2 no such domain', rcpt('550 5.1.2 Host unknown'), 'gone'],
    ['551 5.1.6 moved', rcpt('551 5.1.6 User has moved; please try <bob@new.example>'), 'gone'],
    ['556 5.1.10 null MX', rcpt('556 5.1.10 Recipient address has null MX'), 'gone'],
    ['550 5.2.1 account disabled', rcpt('550 5.2.1 The email account that you tried to reach is disabled'), 'gone'],
    ['551 without enhanced code', rcpt('551 User not local; please try <bob@elsewhere.example>'), 'gone'],
    ['550 "no such user" without enhanced code', rcpt('550 No such user here'), 'gone'],
    ['553 "mailbox does not exist" without enhanced code', rcpt('553 sorry, that mailbox does not exist'), 'gone'],
    // This message cannot be delivered, but the address is not known to be gone.
    ['550 5.1.0 mailbox unavailable (mailpit)', rcpt('550 5.1.0 Requested action not taken: mailbox unavailable'), 'failed'],
    ['553 5.1.3 bad address syntax', rcpt('553 5.1.3 The address is not a valid RFC 5321 address'), 'failed'],
    ['550 5.7.1 policy', rcpt('550 5.7.1 Delivery not authorized, message refused'), 'failed'],
    ['550 5.1.1 text but enhanced code says policy', rcpt('550 5.7.1 user unknown or blocked'), 'failed'],
    ['plain 550 mailbox unavailable', rcpt('550 Requested action not taken: mailbox unavailable'), 'failed'],
    ['554 at DATA (spam)', at('DATA', '554 5.7.1 Message rejected as spam'), 'failed'],
    ['552 5.3.4 at DATA (too big)', at('DATA', '552 5.3.4 Message size exceeds fixed limit'), 'failed'],
    ['550 5.1.1 at DATA is about the message, not the recipient', at('DATA', '550 5.1.1 user unknown'), 'failed'],
    ['envelope refused by nodemailer before sending', { code: 'EENVELOPE', message: 'No recipients defined' }, 'failed'],
  ])('%s → %s', (_name, failure, kind) => {
    expect(smtpFailureOutcome(failure).kind).toBe(kind);
  });

  it('keeps the server reply in the reason, on one line and bounded', () => {
    const outcome = smtpFailureOutcome(rcpt('550-5.1.1 first line\r\n550 5.1.1 second line'));
    expect(outcome).toEqual({ kind: 'gone', reason: 'RCPT TO: 550-5.1.1 first line 550 5.1.1 second line' });
    const long = smtpFailureOutcome(rcpt(`550 5.7.1 ${'x'.repeat(1000)}`));
    expect(long.reason.length).toBeLessThanOrEqual(301);
  });

  it('names the no-reply error codes in the reason', () => {
    expect(smtpFailureOutcome({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }).reason).toBe(
      'ESOCKET ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

describe('enhanced status codes (RFC 3463)', () => {
  it('reads class, subject and detail at the start of the reply text', () => {
    expect(parseEnhancedStatus('550 5.1.1 User unknown')).toEqual({ class: 5, subject: 1, detail: 1 });
    expect(parseEnhancedStatus('556 5.1.10 null MX')).toEqual({ class: 5, subject: 1, detail: 10 });
    expect(parseEnhancedStatus('451-4.7.1 Greylisted')).toEqual({ class: 4, subject: 7, detail: 1 });
  });

  it('finds none in a reply without one, or in a version number further on', () => {
    expect(parseEnhancedStatus('550 Requested action not taken')).toBeUndefined();
    expect(parseEnhancedStatus('550 see RFC 5.1.1 later')).toBeUndefined();
    expect(parseEnhancedStatus('550 5.1.1x')).toBeUndefined();
    expect(parseEnhancedStatus(undefined)).toBeUndefined();
  });
});
