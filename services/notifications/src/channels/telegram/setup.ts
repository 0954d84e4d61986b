import type { Logger } from '@tbot/common';
import type mongoose from 'mongoose';
import { TelegramChannel } from './telegram-channel';
import { TelegramLinks } from './telegram-links';
import { TelegramUpdatesPoller } from './updates-poller';

export interface TelegramSetup {
  channel: TelegramChannel;
  links: TelegramLinks;
  /** Reads /start <code> and /stop from getUpdates; started and stopped with the service. */
  poller: TelegramUpdatesPoller;
}

/**
 * The Telegram channel and its chat linking, sharing one Bot API client and one rate
 * limiter: link replies count against the same flood limits as notifications.
 */
export async function createTelegram(
  conn: mongoose.Connection,
  opts: { token: string; apiBase: string; pollTimeoutSec: number; logger: Logger },
): Promise<TelegramSetup> {
  const channel = new TelegramChannel({ token: opts.token, apiBase: opts.apiBase, logger: opts.logger });
  const links = new TelegramLinks(conn, { api: channel.api, limiter: channel.limiter, logger: opts.logger });
  await links.init();
  const poller = new TelegramUpdatesPoller(conn, {
    api: channel.api,
    logger: opts.logger,
    pollTimeoutSec: opts.pollTimeoutSec,
    handle: async (update) => {
      const result = await links.handleUpdate(update);
      if (result.kind !== 'ignored') opts.logger.info({ telegram_update: result.kind }, 'telegram update handled');
    },
  });
  return { channel, links, poller };
}
