import { isDuplicateKeyError, type Logger } from '@tbot/common';
import type { TradingEvents } from './events';
import type { TradingModels } from './models';
import type { RiskRule } from './risk';

/**
 * trading.risk.limit_reached: a rule that stops a user's trading for the day (the kill
 * switch, the daily loss limit) refused a signal. Every signal after it is refused too, and
 * announced on trading.signal.rejected; this event is the one "you are stopped for today"
 * message, so it goes out once per user, rule and UTC day however many signals follow.
 */

export const DAY_LONG_RULES = ['trading_disabled', 'daily_loss_limit'] as const;
export type DayLongRule = (typeof DAY_LONG_RULES)[number];

export const isDayLongRule = (rule: string | undefined): rule is DayLongRule => (DAY_LONG_RULES as readonly string[]).includes(rule ?? '');

/** The UTC day of `at`, YYYY-MM-DD: the daily loss limit counts from UTC midnight (signal-execution.ts riskState). */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** What makes a notice unique: `<user>|<rule>|<UTC day>` (also the event's Nats-Msg-Id, prefixed). */
export function limitNoticeKey(userId: string, rule: DayLongRule, at: Date): string {
  return `${userId}|${rule}|${utcDay(at)}`;
}

export interface LimitReached {
  userId: string;
  rule: RiskRule;
  signalId: string;
  message: string;
  /** The limit and the value that reached it (daily loss limit); 0 for the kill switch. */
  limit: number;
  value: number;
  at: Date;
}

export class LimitNotices {
  constructor(private readonly d: { models: TradingModels; events: TradingEvents; logger: Logger }) {}

  /**
   * Announces the limit unless it was already announced today. The unique insert comes
   * first: of two replicas refusing signals at once, only the one whose insert wins
   * emits. Returns whether this call announced it.
   */
  async reached(r: LimitReached): Promise<boolean> {
    if (!isDayLongRule(r.rule)) return false;
    const rule = r.rule;
    const _id = limitNoticeKey(r.userId, rule, r.at);
    const day = utcDay(r.at);
    try {
      await this.d.models.RiskLimitNotice.create({ _id, userId: r.userId, rule, day, at: r.at });
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    this.d.logger.info({ user_id: r.userId, rule, day }, 'risk limit reached; trading stopped for the day');
    this.d.events.emit('trading.risk.limit_reached', `limit:${_id}`, {
      user_id: r.userId,
      rule,
      limit: r.limit,
      value: r.value,
      day,
      signal_id: r.signalId,
      message: r.message,
    });
    return true;
  }
}
