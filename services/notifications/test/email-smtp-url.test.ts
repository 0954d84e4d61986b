import { parseSmtpUrl, redact } from '../src/channels/email/smtp-url';

describe('SMTP_URL credentials', () => {
  it('logs the URL without userinfo or query', () => {
    expect(parseSmtpUrl('smtp://mailer:s3cr3t-pass@smtp.example.com:587?tls.rejectUnauthorized=false').redacted).toBe(
      'smtp://***@smtp.example.com:587',
    );
    expect(parseSmtpUrl('smtps://smtp.example.com').redacted).toBe('smtps://smtp.example.com');
  });

  it('redacts user and password raw, percent-decoded and as AUTH PLAIN/LOGIN would send them', () => {
    const { secrets } = parseSmtpUrl('smtp://apikey:p%40ss%2Fword-123@smtp.example.com:587');
    const plain = Buffer.from('\u0000apikey\u0000p@ss/word-123').toString('base64');
    const text = `user apikey pass p@ss/word-123 or p%40ss%2Fword-123, AUTH PLAIN ${plain}, LOGIN ${Buffer.from('p@ss/word-123').toString('base64')}`;
    const out = redact(text, secrets);
    for (const leaked of ['apikey', 'p@ss/word-123', 'p%40ss%2Fword-123', plain]) expect(out).not.toContain(leaked);
    expect(out).toContain('AUTH PLAIN ***');
  });

  it('has nothing to redact in a URL without credentials', () => {
    expect(parseSmtpUrl('smtp://127.0.0.1:2525').secrets).toEqual([]);
  });

  it('does not echo a URL it cannot parse, nor accept another scheme', () => {
    expect(() => parseSmtpUrl('smtp://us er:pa ss@host:99999')).toThrow(/^SMTP_URL is not a valid URL/);
    try {
      parseSmtpUrl('smtp://user:hunter2-secret@host:99999');
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
    expect(() => parseSmtpUrl('https://user:pw@host')).toThrow(/smtp:\/\/ or smtps:\/\//);
  });
});
