import type { Collection, Connection } from 'mongoose';
import type { DestinationSource } from './destinations';

interface ContactDoc {
  _id: string; // user id
  email: string;
  /** When the event that carried the address happened: an older event never overwrites a newer address. */
  emailAt: Date;
  /** Set when the email channel reported the address gone (hard bounce); cleared by a new address. */
  emailGone: boolean;
}

/**
 * Users' email addresses, as billing's events carry them (the latest per user). Billing is
 * the only service that knows them; keeping the last one here means an email needs no RPC.
 */
export class Contacts {
  private readonly docs: Collection<ContactDoc>;

  constructor(conn: Connection) {
    this.docs = conn.collection<ContactDoc>('notification_contacts');
  }

  async init(): Promise<void> {
    await this.docs.createIndex({ email: 1 });
  }

  async rememberEmail(userId: string, email: string, at: Date): Promise<void> {
    const current = await this.docs.findOne({ _id: userId });
    if (current && (current.emailAt > at || current.email === email)) return;
    await this.docs.updateOne({ _id: userId }, { $set: { email, emailAt: at, emailGone: false } }, { upsert: true });
  }

  /**
   * The user gave an address themselves (SetEmailAddress): it is the newest, and clears a
   * bounce mark even when it is the same address (the user says it works again).
   */
  async setEmail(userId: string, email: string, at = new Date()): Promise<void> {
    await this.docs.updateOne({ _id: userId }, { $set: { email, emailAt: at, emailGone: false } }, { upsert: true });
  }

  /** The stored address and its bounce mark, as the user's settings page shows them. */
  async addressOf(userId: string): Promise<{ email: string; gone: boolean } | undefined> {
    const doc = await this.docs.findOne({ _id: userId });
    return doc ? { email: doc.email, gone: doc.emailGone ?? false } : undefined;
  }

  async emailOf(userId: string): Promise<string | undefined> {
    const doc = await this.docs.findOne({ _id: userId });
    return doc && !doc.emailGone ? doc.email : undefined;
  }

  /** For the email channel: addresses from billing's events; a gone address is not used again until billing sends a new one. */
  emailDestinations(): DestinationSource {
    return {
      channel: 'email',
      addressesFor: async (userId) => {
        const email = await this.emailOf(userId);
        return email ? [email] : [];
      },
      gone: async (address) => {
        await this.docs.updateMany({ email: address }, { $set: { emailGone: true } });
      },
    };
  }
}
