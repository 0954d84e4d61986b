export { TelegramChannel, type TelegramChannelOptions } from './telegram-channel';
export { TelegramLinks, type LinkCode, type TelegramLinksOptions, type UpdateResult } from './telegram-links';
export { TelegramUpdatesPoller, type TelegramUpdatesPollerOptions } from './updates-poller';
export { createTelegramWebhookHandler, webhookSecretMatches, isValidWebhookSecret, type TelegramWebhookResult } from './webhook-handler';
export { BotApiClient, BotApiTransportError, type TelegramUpdate, type TelegramMessage, type BotApiResponse } from './bot-api';
export { TelegramRateLimiter, systemClock, type Clock, type ReleaseChat } from './rate-limiter';
export { renderMessage, escapeHtml, truncatePlain, MAX_MESSAGE_LENGTH } from './render';
export { classifySendAnswer } from './send-outcome';
export { parseBotCommand, LINK_CODE_TTL_MS } from './link-codes';
