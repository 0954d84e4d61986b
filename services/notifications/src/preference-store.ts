import type { Collection, Connection } from 'mongoose';
import type { UserPreferences } from './preferences';

interface PreferencesDoc {
  _id: string; // user id
  /** `<event type>|<channel>` → mode; only what the user changed. */
  modes: UserPreferences;
  updatedAt: Date;
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
