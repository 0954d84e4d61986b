import { createTelegramWebhookHandler, parseBotCommand, webhookSecretMatches } from '../src/channels/telegram';
import { hashLinkCode, looksLikeLinkCode, newLinkCode } from '../src/channels/telegram/link-codes';

describe('Telegram link codes', () => {
  it('are ≥128 random bits, URL-safe and within the 64-character start parameter', () => {
    const codes = new Set(Array.from({ length: 200 }, newLinkCode));
    expect(codes.size).toBe(200);
    for (const c of codes) {
      expect(c).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(looksLikeLinkCode(c)).toBe(true);
      expect(Buffer.from(c, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
  });

  it('are stored as a hash, not as themselves', () => {
    const c = newLinkCode();
    expect(hashLinkCode(c)).not.toContain(c);
    expect(hashLinkCode(c)).toBe(hashLinkCode(c));
  });
});

describe('bot commands', () => {
  it.each([
    ['/start abc', { command: 'start', payload: 'abc' }],
    ['/start@tbot_alerts_bot abc', { command: 'start', payload: 'abc' }],
    ['/start@TBOT_ALERTS_BOT abc', { command: 'start', payload: 'abc' }],
    ['  /start   abc  ', { command: 'start', payload: 'abc' }],
    ['/start', { command: 'start' }],
    ['/stop', { command: 'stop' }],
    ['/stop@tbot_alerts_bot', { command: 'stop' }],
  ])('%j → %j', (text, expected) => {
    expect(parseBotCommand(text, 'tbot_alerts_bot')).toEqual(expected);
  });

  it.each(['/start@other_bot abc', 'hello', '/starts abc', '/start a b', '', 'start abc'])('%j is not for us', (text) => {
    expect(parseBotCommand(text, 'tbot_alerts_bot')).toBeUndefined();
  });
});

describe('webhook secret check', () => {
  const secret = 'S3cret_token-for-telegram-webhook';
  it('matches only the exact header', () => {
    expect(webhookSecretMatches(secret, secret)).toBe(true);
    expect(webhookSecretMatches(secret.slice(0, -1), secret)).toBe(false);
    expect(webhookSecretMatches(`${secret}x`, secret)).toBe(false);
    expect(webhookSecretMatches(undefined, secret)).toBe(false);
    expect(webhookSecretMatches([secret, secret], secret)).toBe(false);
  });

  it('handler: forbidden without the secret (nothing handled), handled with it', async () => {
    const handled: number[] = [];
    const handler = createTelegramWebhookHandler({ secretToken: secret, handle: async (u) => handled.push(u.update_id) });
    const update = { update_id: 5, message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, text: '/start x' } };
    expect(await handler('wrong', update)).toEqual({ status: 'forbidden' });
    expect(await handler(undefined, update)).toEqual({ status: 'forbidden' });
    expect(handled).toEqual([]);
    expect(await handler(secret, { nope: true })).toEqual({ status: 'bad-request', reason: 'body is not a Telegram Update' });
    expect(await handler(secret, update)).toEqual({ status: 'handled' });
    expect(handled).toEqual([5]);
  });

  it('refuses a secret Telegram would not accept in setWebhook', () => {
    expect(() => createTelegramWebhookHandler({ secretToken: 'has space', handle: async () => undefined })).toThrow('1-256');
  });
});
