import type { Logger } from '@tbot/common';
import type { TradingEvents } from './events';
import type { KeysRejection } from './exchange/okx-auth';
import type { KeysOperation } from './exchange/okx-executor';
import type { TradingModels } from './models';

/** The event's Nats-Msg-Id: one per user and set of keys (the time they were saved). */
export const keysRejectedMsgId = (userId: string, savedAt: Date): string => `keys:${userId}|${savedAt.getTime()}`;

/**
 * trading.exchange.keys_rejected, once per set of keys: the first refusal marks the account
 * record (a conditional update, so of two replicas or two concurrent calls only one wins)
 * and announces it; later refusals of the same keys find the mark. Saving new keys
 * (SetExchangeCredentials → Accounts.save) replaces the record, which clears the mark.
 */
export class KeysRejectedNotices {
  constructor(private readonly d: { models: TradingModels; events: TradingEvents; logger: Logger }) {}

  /**
   * `savedAt` is the `updatedAt` of the keys the refused client was built from: a refusal
   * of keys replaced meanwhile must not mark the new ones.
   */
  async report(userId: string, mode: string, savedAt: Date, rejection: KeysRejection, operation: KeysOperation, now = new Date()): Promise<boolean> {
    const r = await this.d.models.ExchangeAccount.updateOne(
      { _id: userId, updatedAt: savedAt, keysRejectedAt: null },
      { $set: { keysRejectedAt: now, keysRejectedCode: rejection.code } },
    );
    if (r.modifiedCount !== 1) return false;
    // Code and OKX's words only: the keys themselves never reach a log or an event.
    this.d.logger.warn({ user_id: userId, mode, exchange_code: rejection.code, operation }, 'OKX refused the API keys; the user is told once until they save new ones');
    this.d.events.emit('trading.exchange.keys_rejected', keysRejectedMsgId(userId, savedAt), {
      user_id: userId,
      mode,
      exchange_code: rejection.code,
      message: rejection.message,
      operation,
      detected_at: now.toISOString(),
    });
    return true;
  }
}
