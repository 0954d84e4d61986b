import { EVENT_TYPES } from '../src/catalogue';
import { unsubscribeUrlBuilder } from '../src/channels/email/setup';
import { verifyUnsubscribeToken } from '../src/channels/email/unsubscribe-token';
import { loadNotificationsConfig } from '../src/config';
import { unsubscribeChanges } from '../src/rpc/unsubscribe';

const SECRET = 's'.repeat(32);

describe('unsubscribeChanges', () => {
  it('turns email off for the one type a link names', () => {
    expect(unsubscribeChanges('payment.failed')).toEqual({ ok: true, eventType: 'payment.failed', changes: { 'payment.failed|email': 'off' } });
  });
  it('a fills digest stands for fills', () => {
    expect(unsubscribeChanges('order.filled.digest')).toEqual({ ok: true, eventType: 'order.filled', changes: { 'order.filled|email': 'off' } });
  });
  it('* turns email off for every type, and only email', () => {
    const r = unsubscribeChanges('*');
    expect(r.ok && Object.keys(r.changes).sort()).toEqual(EVENT_TYPES.map((t) => `${t}|email`).sort());
  });
  it('refuses a type outside the catalogue', () => {
    expect(unsubscribeChanges('webhook.test')).toEqual({ ok: false });
  });
});

describe('unsubscribe links', () => {
  it('point at the gateway route and carry a token the secret verifies', () => {
    const url = new URL(unsubscribeUrlBuilder('https://app.example.com/', SECRET)('user-1', 'order.failed'));
    expect(`${url.origin}${url.pathname}`).toBe('https://app.example.com/api/notifications/unsubscribe');
    expect(verifyUnsubscribeToken(SECRET, url.searchParams.get('token')!)).toMatchObject({ ok: true, userId: 'user-1', type: 'order.failed' });
  });
});

describe('notifications config: channels', () => {
  const base = { MONGODB_URI: 'mongodb://x', SERVICE_TOKEN_SECRET: 'k'.repeat(32), NOTIFICATIONS_MASTER_KEY: 'ab'.repeat(32) };
  it('needs neither Telegram nor email', () => {
    expect(loadNotificationsConfig(base)).toMatchObject({ TELEGRAM_API_BASE: 'https://api.telegram.org' });
  });
  it('email needs From, the unsubscribe secret and an https public base URL', () => {
    expect(() => loadNotificationsConfig({ ...base, SMTP_URL: 'smtp://mail:25' })).toThrow(/SMTP_FROM is required[\s\S]*NOTIFICATIONS_UNSUBSCRIBE_SECRET is required[\s\S]*PUBLIC_BASE_URL is required/);
    expect(() => loadNotificationsConfig({ ...base, SMTP_URL: 'smtp://mail:25', SMTP_FROM: 'a@b.example', NOTIFICATIONS_UNSUBSCRIBE_SECRET: 'short', PUBLIC_BASE_URL: 'http://x.example' })).toThrow(
      /NOTIFICATIONS_UNSUBSCRIBE_SECRET is invalid[\s\S]*PUBLIC_BASE_URL is invalid/,
    );
    const c = loadNotificationsConfig({ ...base, SMTP_URL: 'smtp://mail:25', SMTP_FROM: 'a@b.example', NOTIFICATIONS_UNSUBSCRIBE_SECRET: `${SECRET},${'t'.repeat(40)}`, PUBLIC_BASE_URL: 'https://x.example' });
    expect(c.NOTIFICATIONS_UNSUBSCRIBE_SECRET).toEqual([SECRET, 't'.repeat(40)]);
  });
  it('a malformed bot token is refused without echoing it', () => {
    let message = '';
    try {
      loadNotificationsConfig({ ...base, TELEGRAM_BOT_TOKEN: 'not-a-token-secret-value' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/TELEGRAM_BOT_TOKEN is invalid/);
    expect(message).not.toContain('not-a-token-secret-value');
  });
});
