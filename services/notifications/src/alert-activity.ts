import type { Collection, Connection } from 'mongoose';

/**
 * When each user's last TradingView alert was seen, for the silence watcher. Every alert
 * ends in trading.order.* or trading.signal.rejected (executed, refused by a rule, or
 * failed at OKX), and those events are read here anyway: no extra event is published for
 * it. A duplicate alert publishes nothing, which is right (it is the same alert).
 */

/**
 * Subjects that mean "an alert arrived for this user". A later fill of a resting order, or a
 * paper stop/target close, counts too: they follow from an alert and can only delay the
 * silence notice, never make a false one.
 */
export const ALERT_OUTCOME_SUBJECTS: ReadonlySet<string> = new Set([
  'trading.order.submitted',
  'trading.order.filled',
  'trading.order.rejected',
  'trading.order.failed',
  'trading.signal.rejected',
]);

interface ActivityDoc {
  _id: string; // user id
  lastAlertAt: Date;
}

export class AlertActivity {
  private readonly docs: Collection<ActivityDoc>;

  constructor(conn: Connection) {
    this.docs = conn.collection<ActivityDoc>('alert_activity');
  }

  /** `$max`: a redelivered or late old event never moves the time back. */
  async saw(userId: string, at: Date): Promise<void> {
    await this.docs.updateOne({ _id: userId }, { $max: { lastAlertAt: at } }, { upsert: true });
  }

  async lastAlertAt(userId: string): Promise<Date | undefined> {
    return (await this.docs.findOne({ _id: userId }))?.lastAlertAt ?? undefined;
  }
}
