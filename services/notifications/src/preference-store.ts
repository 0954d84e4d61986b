import type { Collection, Connection } from 'mongoose';
import type { UserPreferences } from './preferences';

interface PreferencesDoc {
  _id: string; // user id
  /** `<event type>|<channel>` → mode; only what the user changed. */
  modes: UserPreferences;
  /** "No TradingView alert for N hours" (silence.ts); absent or 0: off. */
  silenceAlertHours?: number;
  /** When it was last turned on (from 0): a user with no alert since is silent from then. */
  silenceEnabledAt?: Date;
  updatedAt: Date;
}

export interface SilenceSetting {
  userId: string;
  hours: number;
  enabledAt: Date;
}

/** Users' own preference values (defaults are not stored: changing a default reaches everyone). */
export class PreferenceStore {
  private readonly docs: Collection<PreferencesDoc>;

  constructor(conn: Connection) {
    this.docs = conn.collection<PreferencesDoc>('notification_preferences');
  }

  async of(userId: string): Promise<UserPreferences> {
    const modes = (await this.docs.findOne({ _id: userId }))?.modes ?? {};
    return Object.fromEntries(Object.entries(modes).map(([k, v]) => [k.replace(/~/g, '.'), v]));
  }

  async silenceHours(userId: string): Promise<number> {
    return (await this.docs.findOne({ _id: userId }, { projection: { silenceAlertHours: 1 } }))?.silenceAlertHours ?? 0;
  }

  /** Sets the silence alert (0: off); turning it on (from off) restarts its clock. */
  async setSilenceHours(userId: string, hours: number, now = new Date()): Promise<void> {
    if (hours === 0) {
      await this.docs.updateOne({ _id: userId }, { $set: { silenceAlertHours: 0, updatedAt: now } }, { upsert: true });
      return;
    }
    // Only a user whose alert was off gets a new start; changing 4 h to 6 h keeps the silence it is in.
    const changed = await this.docs.updateOne({ _id: userId, silenceAlertHours: { $gt: 0 } }, { $set: { silenceAlertHours: hours, updatedAt: now } });
    if (changed.matchedCount === 1) return;
    await this.docs.updateOne({ _id: userId }, { $set: { silenceAlertHours: hours, silenceEnabledAt: now, updatedAt: now } }, { upsert: true });
  }

  /** Every user with the silence alert on, in pages (the watcher's work list). */
  async *silenceSettings(pageSize = 500): AsyncGenerator<SilenceSetting> {
    let after = '';
    for (;;) {
      const page = await this.docs
        .find({ _id: { $gt: after }, silenceAlertHours: { $gt: 0 } }, { projection: { silenceAlertHours: 1, silenceEnabledAt: 1, updatedAt: 1 } })
        .sort({ _id: 1 })
        .limit(pageSize)
        .toArray();
      for (const d of page) yield { userId: d._id, hours: d.silenceAlertHours ?? 0, enabledAt: d.silenceEnabledAt ?? d.updatedAt };
      if (page.length < pageSize) return;
      after = page[page.length - 1]!._id;
    }
  }

  /** `undefined` for a key removes the user's own value (back to the default). */
  async update(userId: string, changes: Record<string, string | undefined>): Promise<UserPreferences> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    const unset: Record<string, ''> = {};
    for (const [key, mode] of Object.entries(changes)) {
      // Keys hold a '.', which MongoDB would read as a path: store them with '~' instead.
      const field = `modes.${key.replace(/\./g, '~')}`;
      if (mode === undefined) unset[field] = '';
      else set[field] = mode;
    }
    await this.docs.updateOne({ _id: userId }, { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { upsert: true });
    return this.of(userId);
  }
}
