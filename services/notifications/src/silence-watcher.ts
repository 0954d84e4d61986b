import { every, isDuplicateKeyError, type Logger, type Periodic } from '@tbot/common';
import type { Collection, Connection } from 'mongoose';
import type { AlertActivity } from './alert-activity';
import type { CataloguedEvent } from './catalogue';
import type { Dispatcher } from './dispatcher';
import type { PreferenceStore } from './preference-store';
import { silenceOf } from './silence';

interface SilenceNoticeDoc {
  _id: string; // silenceKey: <user>|<silence start ms>
  userId: string;
  since: Date;
  hours: number;
  claimedAt: Date;
  /** Set once the deliveries are recorded; a notice left without it (a replica died) is dispatched again. */
  dispatchedAt: Date | null;
}

/** A claim not dispatched after this long belongs to a replica that died: another one finishes it. */
const ABANDONED_AFTER_MS = 60_000;

/** The notification for a silence: a synthetic event that takes the dispatcher's usual path. */
export function silenceEvent(userId: string, hours: number, since: Date, lastAlertAt: Date | undefined): CataloguedEvent {
  const last = lastAlertAt && lastAlertAt >= since ? `the last one came at ${lastAlertAt.toISOString()}` : 'none has arrived since you turned this alert on';
  return {
    type: 'tradingview.silent',
    userId,
    reasonCode: `silent:${hours}h`,
    failure: true,
    title: `No TradingView alert for ${hours} h`,
    text: `No TradingView alert reached the bot for ${hours} hours (${last}). Check that your TradingView alerts are active and point at your webhook URL.`,
    data: { user_id: userId, hours, silent_since: since.toISOString(), last_alert_at: lastAlertAt?.toISOString() ?? null },
  };
}

/**
 * Checks every user with the silence alert on, every interval, and notifies those silent
 * for longer than they set, once per silence: a unique insert of `<user>|<silence start>`
 * decides which replica sends it, and the event id (`silence:<key>`) keeps the deliveries
 * once per channel and destination even if a notice is dispatched twice.
 */
export class SilenceWatcher {
  private readonly notices: Collection<SilenceNoticeDoc>;
  private loop?: Periodic;

  constructor(
    conn: Connection,
    private readonly d: { preferences: PreferenceStore; activity: AlertActivity; dispatcher: Dispatcher; logger: Logger },
    private readonly intervalMs: number,
  ) {
    this.notices = conn.collection<SilenceNoticeDoc>('silence_notices');
  }

  async init(): Promise<void> {
    await this.notices.createIndex({ dispatchedAt: 1, claimedAt: 1 });
  }

  start(): void {
    this.loop = every(this.intervalMs, 'silence watcher', this.d.logger, async () => {
      await this.check();
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** One pass; returns how many silences this replica announced. */
  async check(now = new Date()): Promise<number> {
    let sent = 0;
    for await (const setting of this.d.preferences.silenceSettings()) {
      try {
        const lastAlertAt = await this.d.activity.lastAlertAt(setting.userId);
        const decision = silenceOf({ ...setting, lastAlertAt, now });
        if (!decision.silent) continue;
        const doc: SilenceNoticeDoc = { _id: decision.key, userId: setting.userId, since: decision.since, hours: setting.hours, claimedAt: now, dispatchedAt: null };
        try {
          await this.notices.insertOne(doc);
        } catch (err) {
          if (isDuplicateKeyError(err)) continue; // told already (by this replica or another)
          throw err;
        }
        await this.dispatch(doc, lastAlertAt, now);
        sent++;
      } catch (err) {
        this.d.logger.warn({ err, user_id: setting.userId }, 'silence check failed for a user; next pass tries again');
      }
    }
    await this.finishAbandoned(now);
    return sent;
  }

  private async dispatch(doc: SilenceNoticeDoc, lastAlertAt: Date | undefined, now: Date): Promise<void> {
    const ids = await this.d.dispatcher.dispatch(`silence:${doc._id}`, silenceEvent(doc.userId, doc.hours, doc.since, lastAlertAt), now);
    await this.notices.updateOne({ _id: doc._id }, { $set: { dispatchedAt: new Date() } });
    this.d.logger.info({ user_id: doc.userId, silent_since: doc.since, hours: doc.hours }, 'no TradingView alert for longer than the user set; notified');
    this.d.dispatcher.attemptSoon(ids);
  }

  /** Notices claimed by a replica that died before recording their deliveries. */
  private async finishAbandoned(now: Date): Promise<void> {
    const stale = await this.notices.find({ dispatchedAt: null, claimedAt: { $lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } }).limit(100).toArray();
    for (const doc of stale) {
      const took = await this.notices.updateOne({ _id: doc._id, dispatchedAt: null, claimedAt: doc.claimedAt }, { $set: { claimedAt: now } });
      if (took.modifiedCount !== 1) continue;
      await this.dispatch(doc, await this.d.activity.lastAlertAt(doc.userId), now).catch((err: unknown) =>
        this.d.logger.warn({ err, user_id: doc.userId }, 'abandoned silence notice could not be dispatched; next pass tries again'),
      );
    }
  }
}
