import type { Logger } from '@tbot/common';
import type { Attempt, Channel, DeliveryOutcome, Destination, Notification } from '../../channel';
import { BotApiClient, BotApiTransportError } from './bot-api';
import { LimiterClosedError, TelegramRateLimiter, type Clock } from './rate-limiter';
import { renderMessage } from './render';
import { classifySendAnswer } from './send-outcome';

export interface TelegramChannelOptions {
  token: string;
  apiBase?: string;
  logger: Logger;
  /** Least time between two messages to one chat. */
  perChatIntervalMs?: number;
  /** Most messages per second over all chats. */
  globalPerSecond?: number;
  /** Per request; a send that gets no answer in time is retried by the dispatcher. */
  timeoutMs?: number;
  /**
   * How long every other chat waits after a 429 for one chat, at most. A 429 does not say
   * whether the chat or the whole bot is flooding: the chat waits the full retry_after, the
   * rest of the bot briefly, so a bot-wide flood is not fed and one busy group does not
   * stall every user for a minute.
   */
  globalPauseCapMs?: number;
  /** Tests pass a fake clock to the limiter. */
  clock?: Clock;
}

/**
 * Sends one notification to one Telegram chat with sendMessage (parse_mode HTML) and
 * classifies Telegram's answer. Rate limits are kept before sending; retries, unbinding
 * and rebinding are the dispatcher's job (see channel.ts).
 */
export class TelegramChannel implements Channel {
  readonly name = 'telegram' as const;
  readonly api: BotApiClient;
  readonly limiter: TelegramRateLimiter;
  private readonly logger: Logger;
  private readonly globalPauseCapMs: number;
  private readonly inFlight = new AbortController();

  constructor(opts: TelegramChannelOptions) {
    this.api = new BotApiClient({ token: opts.token, apiBase: opts.apiBase ?? 'https://api.telegram.org', timeoutMs: opts.timeoutMs ?? 10_000 });
    this.logger = opts.logger.child({ channel: 'telegram' });
    this.globalPauseCapMs = opts.globalPauseCapMs ?? 5_000;
    this.limiter = new TelegramRateLimiter({
      perChatIntervalMs: opts.perChatIntervalMs ?? 1000,
      globalPerSecond: opts.globalPerSecond ?? 30,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  }

  async send(destination: Destination, notification: Notification, attempt: Attempt): Promise<DeliveryOutcome> {
    const chatId = destination.address;
    const log = { chatId, eventId: notification.eventId, deliveryId: attempt.deliveryId, attempt: attempt.attempt };
    if (destination.channel !== 'telegram' || !/^-?\d+$/.test(chatId)) {
      return { kind: 'failed', reason: `not a Telegram chat id: ${destination.channel}:${chatId}` };
    }
    const message = renderMessage(notification);
    let release: () => void;
    try {
      release = await this.limiter.acquire(chatId);
    } catch (err) {
      if (err instanceof LimiterClosedError) return { kind: 'retry', reason: 'shutting down' };
      throw err;
    }
    let outcome: DeliveryOutcome;
    let status = 0;
    try {
      const answer = await this.api.call<{ message_id?: number }>(
        'sendMessage',
        {
          chat_id: chatId,
          text: message.html,
          parse_mode: 'HTML',
          disable_notification: notification.silent,
          link_preview_options: { is_disabled: true },
        },
        { signal: this.inFlight.signal },
      );
      status = answer.status;
      // The HTTP status goes into the delivery's attempt list (403, 429 are what support asks about).
      outcome = { ...classifySendAnswer(answer), statusCode: answer.status };
    } catch (err) {
      // A timeout may still have delivered the message: the dispatcher's record bounds the
      // duplicate this retry can cause.
      if (err instanceof BotApiTransportError) outcome = { kind: 'retry', reason: err.message };
      else throw err;
    } finally {
      release();
    }
    if (status === 429 && outcome.kind === 'retry' && outcome.afterMs !== undefined) {
      this.limiter.pause(chatId, outcome.afterMs, Math.min(outcome.afterMs, this.globalPauseCapMs));
    }
    if (outcome.kind === 'delivered') this.logger.debug({ ...log, messageId: outcome.providerId }, 'telegram message sent');
    else this.logger.warn({ ...log, status, outcome }, 'telegram message not delivered');
    return outcome;
  }

  async close(): Promise<void> {
    this.limiter.close();
    this.inFlight.abort();
  }
}
