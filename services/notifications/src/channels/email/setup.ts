import type { Logger } from '@tbot/common';
import { EmailChannel } from './email-channel';
import { signUnsubscribeToken } from './unsubscribe-token';

/** The gateway route the List-Unsubscribe link points at (gateway/src/routes/notifications.ts). */
export const UNSUBSCRIBE_PATH = '/api/notifications/unsubscribe';

/** `<base>/api/notifications/unsubscribe?token=…`, signed with the first (current) secret. */
export function unsubscribeUrlBuilder(publicBaseUrl: string, secret: string): (userId: string, type: string) => string {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return (userId, type) => `${base}${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(signUnsubscribeToken(secret, { userId, type }))}`;
}

export function createEmail(opts: { smtpUrl: string; from: string; publicBaseUrl: string; secret: string; logger: Logger }): EmailChannel {
  return new EmailChannel({
    smtpUrl: opts.smtpUrl,
    from: opts.from,
    unsubscribeUrl: unsubscribeUrlBuilder(opts.publicBaseUrl, opts.secret),
    logger: opts.logger.child({ channel: 'email' }),
  });
}
