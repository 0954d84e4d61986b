import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  CreateTelegramLinkResponseSchema,
  GetEmailAddressResponseSchema,
  ListTelegramChatsResponseSchema,
  NotificationsService,
  SetEmailAddressResponseSchema,
  UnlinkTelegramChatResponseSchema,
  UnsubscribeResponseSchema,
  type Logger,
} from '@tbot/common';
import type { Contacts } from '../contacts';
import type { TelegramLinks } from '../channels/telegram/telegram-links';
import { isSendableEmailAddress } from '../channels/email/email-address';
import type { PreferenceStore } from '../preference-store';
import { invalid, userIdOf } from './validate';
import { unsubscribeChanges } from './unsubscribe';
import { verifyUnsubscribeToken } from '../channels/email/unsubscribe-token';

export interface ContactRpcDeps {
  contacts: Contacts;
  preferences: PreferenceStore;
  /** Undefined without TELEGRAM_BOT_TOKEN. */
  telegramLinks: TelegramLinks | undefined;
  /** Empty without email (SMTP_URL): no link was ever signed, none verifies. */
  unsubscribeSecrets: readonly string[];
  logger: Logger;
}

type ContactRpcs = Pick<
  ServiceImpl<typeof NotificationsService>,
  'createTelegramLink' | 'listTelegramChats' | 'unlinkTelegramChat' | 'setEmailAddress' | 'getEmailAddress' | 'unsubscribe'
>;

/** A token is ~150 characters; anything far longer is not one of ours. */
const MAX_TOKEN_LENGTH = 1024;

/** Where a user can be reached: Telegram chats, the email address, and leaving email by link. */
export function contactRpcs(d: ContactRpcDeps): ContactRpcs {
  const links = (): TelegramLinks => {
    if (!d.telegramLinks) throw new ConnectError('telegram_not_configured: this deployment has no Telegram bot', Code.FailedPrecondition);
    return d.telegramLinks;
  };
  return {
    async createTelegramLink(req) {
      const userId = userIdOf(req.userId);
      const code = await links()
        .createCode(userId)
        .catch((err: unknown) => {
          // getMe failing (Telegram down, token revoked) is ours, not the caller's: retryable.
          d.logger.warn({ err: (err as Error).message, user_id: userId }, 'telegram link code not created');
          throw new ConnectError('telegram_unavailable: Telegram did not answer; try again', Code.Unavailable);
        });
      return create(CreateTelegramLinkResponseSchema, { code: code.code, deepLink: code.deepLink, expiresAt: timestampFromDate(code.expiresAt) });
    },

    async listTelegramChats(req) {
      const userId = userIdOf(req.userId);
      return create(ListTelegramChatsResponseSchema, { chatIds: await links().chatsFor(userId) });
    },

    async unlinkTelegramChat(req) {
      const userId = userIdOf(req.userId);
      if (!/^-?\d{1,20}$/.test(req.chatId)) throw invalid('invalid_chat_id', 'chat_id must be a Telegram chat id (digits, negative for groups)');
      if (!(await links().unlink(userId, req.chatId))) throw new ConnectError('not_found: no such chat linked to this user', Code.NotFound);
      d.logger.info({ user_id: userId }, 'telegram chat unlinked by the user');
      return create(UnlinkTelegramChatResponseSchema, {});
    },

    async setEmailAddress(req) {
      const userId = userIdOf(req.userId);
      const email = req.email.trim();
      if (!isSendableEmailAddress(email)) throw invalid('invalid_email', 'email must be one plain address, local@domain');
      await d.contacts.setEmail(userId, email);
      d.logger.info({ user_id: userId }, 'email address set');
      return create(SetEmailAddressResponseSchema, {});
    },

    async getEmailAddress(req) {
      const address = await d.contacts.addressOf(userIdOf(req.userId));
      return create(GetEmailAddressResponseSchema, { email: address?.email ?? '', gone: address?.gone ?? false });
    },

    async unsubscribe(req) {
      if (!req.token || req.token.length > MAX_TOKEN_LENGTH) throw invalid('invalid_token', 'token is missing or not an unsubscribe token');
      if (d.unsubscribeSecrets.length === 0) throw invalid('invalid_token', 'this deployment sends no email');
      const check = verifyUnsubscribeToken(d.unsubscribeSecrets, req.token);
      if (!check.ok) {
        if (check.reason === 'expired') throw invalid('expired_token', 'the link has expired; change email preferences in the app');
        throw invalid('invalid_token', 'the link is not valid');
      }
      const plan = unsubscribeChanges(check.type);
      if (!plan.ok) throw invalid('invalid_token', 'the link names no event type');
      await d.preferences.update(check.userId, plan.changes);
      d.logger.info({ user_id: check.userId, event_type: plan.eventType }, 'email unsubscribed by link');
      return create(UnsubscribeResponseSchema, { userId: check.userId, eventType: plan.eventType });
    },
  };
}
