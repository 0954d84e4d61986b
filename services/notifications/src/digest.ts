import type { Collection, Connection } from 'mongoose';
import type { ChannelName } from './channel';

/**
 * A burst of fills (a strategy that scales in, a grid) should not become a burst of
 * messages on a phone. Per user and minute the first `threshold` fills go out one by one;
 * the rest fold into one message sent when the minute is over. Only chat and email are
 * folded: outbound webhooks are read by programs, which want every fill.
 *
 * The minute is the event's own time (its JetStream timestamp), so a redelivered or
 * replayed fill lands in the same minute, at the same place, and is sent the same way.
 */

export const DIGEST_CHANNELS: ReadonlySet<ChannelName> = new Set(['telegram', 'email']);
export const DIGEST_TYPE = 'order.filled.digest';

export interface FillLine {
  eventId: string;
  line: string;
}

export const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);
export const digestEventId = (userId: string, minute: Date) => `digest:${userId}:${minute.toISOString()}`;

/** The folded message: the fills after the first `threshold` of that minute. */
export function renderDigest(folded: FillLine[], minute: Date): { title: string; text: string } {
  return {
    title: `${folded.length} more fill${folded.length === 1 ? '' : 's'} at ${minute.toISOString().slice(11, 16)} UTC`,
    text: folded.map((f) => `• ${f.line}`).join('\n'),
  };
}

interface DigestDoc {
  _id: string; // `<user id>|<minute ISO>`
  userId: string;
  minute: Date;
  fills: FillLine[];
}

export class FillDigests {
  private readonly docs: Collection<DigestDoc>;

  constructor(conn: Connection) {
    this.docs = conn.collection<DigestDoc>('notification_fill_digests');
  }

  async init(): Promise<void> {
    await this.docs.createIndex({ minute: 1 });
  }

  /** Adds the fill to its minute (once) and answers its place among that minute's fills (0-based). */
  async place(userId: string, minute: Date, fill: FillLine): Promise<number> {
    const _id = `${userId}|${minute.toISOString()}`;
    const existing = await this.docs.findOne({ _id });
    const known = existing?.fills.findIndex((f) => f.eventId === fill.eventId) ?? -1;
    if (known >= 0) return known;
    await this.docs.updateOne({ _id }, { $setOnInsert: { userId, minute }, $addToSet: { fills: fill } }, { upsert: true });
    const after = await this.docs.findOne({ _id });
    return after?.fills.findIndex((f) => f.eventId === fill.eventId) ?? 0;
  }

  async folded(userId: string, minute: Date, threshold: number): Promise<FillLine[]> {
    const doc = await this.docs.findOne({ _id: `${userId}|${minute.toISOString()}` });
    return doc?.fills.slice(threshold) ?? [];
  }

  /** Old minutes are of no use once their digest went out (deliveries keep their own copy). */
  async prune(olderThan: Date): Promise<number> {
    return (await this.docs.deleteMany({ minute: { $lt: olderThan } })).deletedCount;
  }
}
