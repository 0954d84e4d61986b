import type { ChannelName } from './channel';

/**
 * Where a channel can reach a user. The dispatcher asks a channel's source for the
 * addresses of the user an event is about, and tells it when the channel said an address
 * is gone (Telegram 403 → unbind; 400 with migrate_to_chat_id → move; webhook 410 or 5
 * days failing → disable). One source per registered channel.
 */
export interface DestinationSource {
  channel: ChannelName;
  /**
   * Addresses to send this event type to: chat ids, email addresses, endpoint ids.
   * `eventType` lets a source filter (an outbound endpoint subscribed to some types only).
   */
  addressesFor(userId: string, eventType: string): Promise<string[]>;
  /** The address no longer works; `movedTo` replaces it (the dispatcher retries there). */
  gone(address: string, movedTo?: string): Promise<void>;
}

/** What the Telegram channel's `TelegramLinks` offers (chat ids as strings). */
export interface TelegramLinksLike {
  chatsFor(userId: string): Promise<string[]>;
  unbindChat(chatId: string): Promise<unknown>;
  moveChat(from: string, to: string): Promise<unknown>;
}

/** Adapts the Telegram channel's chat links to a DestinationSource. */
export function telegramDestinations(links: TelegramLinksLike): DestinationSource {
  return {
    channel: 'telegram',
    addressesFor: (userId) => links.chatsFor(userId),
    gone: async (chatId, movedTo) => {
      await (movedTo ? links.moveChat(chatId, movedTo) : links.unbindChat(chatId));
    },
  };
}
