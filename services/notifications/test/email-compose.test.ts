import { createTransport } from 'nodemailer';
import type { Notification } from '../src/channel';
import { composeEmail } from '../src/channels/email/compose-email';
import { addressInFrom, isSendableEmailAddress } from '../src/channels/email/email-address';
import { messageIdFor, notificationHeaders, oneClickUnsubscribeUrl } from '../src/channels/email/email-headers';
import { escapeHtml, renderEmail, subjectLine } from '../src/channels/email/render-email';

const UNSUB = 'https://app.example.com/unsubscribe/tok.en';

const notification = (over: Partial<Notification> = {}): Notification => ({
  eventId: 'evt-1',
  type: 'order.rejected',
  userId: 'user-1',
  occurredAt: new Date('2026-01-01T00:00:00Z'),
  title: 'Order rejected: BTC-USDT-SWAP <sell> & "close"',
  text: "OKX said: 51008 Order failed <insufficient margin> & 'balance' too low\nSize: 3 contracts\n\nCheck your margin.",
  data: {},
  silent: false,
  ...over,
});

/** The message exactly as it would go over SMTP. */
async function rawMessage(n: Notification, deliveryId = 'dlv-1'): Promise<string> {
  const options = composeEmail({
    from: '"Trading Bot" <alerts@bot.example.com>',
    fromAddress: 'alerts@bot.example.com',
    to: 'trader@example.org',
    notification: n,
    attempt: { deliveryId, attempt: 1 },
    unsubscribeUrl: UNSUB,
  });
  const info = await createTransport({ streamTransport: true, buffer: true, newline: 'unix' }).sendMail(options);
  return (info.message as Buffer).toString('utf8');
}

describe('email content', () => {
  it('escapes every HTML special character', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    expect(escapeHtml('BTC-USDT-SWAP 1.5% $100 #1 *bold* _x_')).toBe('BTC-USDT-SWAP 1.5% $100 #1 *bold* _x_');
  });

  it('puts the title and text in the HTML part as text, never as markup', () => {
    const { html, text, subject } = renderEmail(notification(), UNSUB);
    expect(subject).toBe('Order rejected: BTC-USDT-SWAP <sell> & "close"');
    expect(html).toContain('<h1 style="font-size: 1.2em">Order rejected: BTC-USDT-SWAP &lt;sell&gt; &amp; &quot;close&quot;</h1>');
    expect(html).toContain('<p>OKX said: 51008 Order failed &lt;insufficient margin&gt; &amp; &#39;balance&#39; too low<br>\nSize: 3 contracts</p>');
    expect(html).toContain('<p>Check your margin.</p>');
    expect(html).not.toMatch(/<(sell|insufficient)/);
    // The plain-text part is the text as written.
    expect(text).toContain("OKX said: 51008 Order failed <insufficient margin> & 'balance' too low");
  });

  it('links the unsubscribe page from both parts', () => {
    const { html, text } = renderEmail(notification(), 'https://app.example.com/u?t=a&x=1');
    expect(text).toContain('Unsubscribe from these emails: https://app.example.com/u?t=a&x=1');
    expect(html).toContain('<a href="https://app.example.com/u?t=a&amp;x=1">');
  });

  it('makes a multi-line or control-character title one subject line', () => {
    expect(subjectLine('Payment failed\r\nBcc: victim@example.com\t!')).toBe('Payment failed Bcc: victim@example.com !');
  });
});

describe('email headers', () => {
  it('derives the Message-ID from the delivery id alone', () => {
    expect(messageIdFor('dlv-1', 'bot.example.com')).toBe(messageIdFor('dlv-1', 'bot.example.com'));
    expect(messageIdFor('dlv-1', 'bot.example.com')).not.toBe(messageIdFor('dlv-2', 'bot.example.com'));
    expect(messageIdFor('any <odd> id\r\n', 'bot.example.com')).toMatch(/^<[0-9a-f]{32}@bot\.example\.com>$/);
  });

  it('builds one-click List-Unsubscribe, Auto-Submitted and the event id', () => {
    expect(notificationHeaders({ eventId: 'evt-9', type: 'payment.failed', unsubscribeUrl: UNSUB })).toEqual({
      'List-Unsubscribe': { prepared: true, value: `<${UNSUB}>` },
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
      'X-Notification-Event-Id': 'evt-9',
      'X-Notification-Type': 'payment.failed',
    });
  });

  it('keeps header injection out of the event id and type', () => {
    const h = notificationHeaders({ eventId: 'evt\r\nBcc: x@example.com', type: 'a\nb', unsubscribeUrl: UNSUB });
    expect(h['X-Notification-Event-Id']).toBe('evt Bcc: x@example.com');
    expect(h['X-Notification-Type']).toBe('a b');
  });

  it('takes only an HTTPS unsubscribe URL, normalised so nothing can break out of <…>', () => {
    expect(() => oneClickUnsubscribeUrl('http://app.example.com/u')).toThrow(/https/);
    expect(() => oneClickUnsubscribeUrl('not a url')).toThrow(/not a URL/);
    expect(oneClickUnsubscribeUrl('https://app.example.com/u?t=<a b>\r\nX: y')).toBe('https://app.example.com/u?t=%3Ca%20b%3EX:%20y');
  });
});

describe('the composed message', () => {
  it('has exactly one List-Unsubscribe and its one-click POST, the event id, both parts and a stable Message-ID', async () => {
    const raw = await rawMessage(notification());
    const headerBlock = raw.slice(0, raw.indexOf('\n\n'));
    expect(headerBlock.match(/^List-Unsubscribe:/gim)).toHaveLength(1);
    expect(headerBlock).toContain(`List-Unsubscribe: <${UNSUB}>`);
    expect(headerBlock).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // Header names are case-insensitive; nodemailer writes this one as "X-Notification-Event-ID".
    expect(headerBlock).toMatch(/^X-Notification-Event-Id: evt-1$/im);
    expect(headerBlock).toContain(`Message-ID: ${messageIdFor('dlv-1', 'bot.example.com')}`);
    expect(headerBlock).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw).toMatch(/Content-Type: text\/plain/);
    expect(raw).toMatch(/Content-Type: text\/html/);
    const again = await rawMessage(notification(), 'dlv-1');
    expect(again).toContain(`Message-ID: ${messageIdFor('dlv-1', 'bot.example.com')}`);
  });

  it('cannot be addressed to anyone else through the title', async () => {
    const raw = await rawMessage(notification({ title: 'Hi\r\nBcc: victim@example.com' }));
    const headerBlock = raw.slice(0, raw.indexOf('\n\n'));
    expect(headerBlock).not.toMatch(/^Bcc:/im);
  });
});

describe('email addresses', () => {
  it.each(['trader@example.org', 'first.last+tag@mail.example.co.uk', "o'brien@example.ie", 'x_y-z@sub-domain.example.com'])(
    'sends to %s',
    (a) => expect(isSendableEmailAddress(a)).toBe(true),
  );
  it.each([
    '',
    'trader',
    'trader@',
    '@example.org',
    'trader@localhost',
    'a@b@example.org',
    'two@example.org, three@example.org',
    'Trader <trader@example.org>',
    'trader @example.org',
    'trader@exa mple.org',
    'trader@-example.org',
    'trader@example.org\r\nBcc: x@example.org',
    'trädér@example.org',
    `${'a'.repeat(65)}@example.org`,
    `a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.example.org`,
  ])('refuses %j', (a) => expect(isSendableEmailAddress(a)).toBe(false));

  it('finds the address inside a From value', () => {
    expect(addressInFrom('"Trading Bot" <alerts@bot.example.com>')).toBe('alerts@bot.example.com');
    expect(addressInFrom('alerts@bot.example.com')).toBe('alerts@bot.example.com');
    expect(addressInFrom('Trading Bot')).toBeUndefined();
  });
});
