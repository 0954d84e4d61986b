import { isDuplicateKeyError } from '@tbot/common';
import type { Collection, Connection } from 'mongoose';
import type { ChannelName, DeliveryOutcome, Notification } from './channel';
import { newId } from './ids';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'gone';

export interface AttemptRecord {
  number: number;
  at: Date;
  outcome: DeliveryOutcome['kind'];
  reason: string;
  statusCode: number;
  /** An explicit replay (ReplayDelivery), not a scheduled try. */
  replay: boolean;
  /** Which replica made it. */
  owner: string;
}

/** The notification as rendered when the event arrived: retries need no event. */
export type StoredNotification = Omit<Notification, 'eventId' | 'userId'>;

export interface DeliveryDoc {
  _id: string; // dlv_…: time-sortable, the page token; also webhook-id
  /** `<event id>|<channel>|<destination>`: unique, so one event reaches one destination once. */
  key: string;
  eventId: string;
  userId: string;
  channel: ChannelName;
  /** The address the delivery was made for (part of the key). */
  destination: string;
  /** Where it is sent now: the destination, or where it moved (Telegram chat migration). */
  address: string;
  status: DeliveryStatus;
  notification: StoredNotification;
  createdAt: Date;
  nextAttemptAt: Date;
  /** Number of the last claim taken (see `claim`). */
  claimSeq: number;
  /** The replica attempting it and until when its claim holds; epoch when free. */
  leaseOwner: string;
  leaseUntil: Date;
  /** Set by ReplayDelivery: the next attempt is recorded as a replay. */
  replayRequested: boolean;
  attempts: AttemptRecord[];
  deliveredAt: Date | null;
  /** W3C trace context of the event's processing: every attempt, even days later, joins that trace. */
  trace: Record<string, string>;
}

const FREE = new Date(0);

interface ClaimDoc {
  _id: string; // `<delivery id>#<claim number>`
  owner: string;
  until: Date;
}

function isDue(doc: DeliveryDoc | null, now: Date): doc is DeliveryDoc {
  return !!doc && doc.status === 'pending' && doc.nextAttemptAt <= now && doc.leaseUntil < now;
}

export const deliveryKey = (eventId: string, channel: ChannelName, destination: string) => `${eventId}|${channel}|${destination}`;

/**
 * The delivery records: the guarantee lives here. A delivery is inserted (pending) before
 * anything is sent, under a unique key, so a replayed or redelivered event, a restart or a
 * second replica finds the existing record instead of making another. An attempt is made
 * only under a claim (a lease): a replica that dies mid-send leaves a lease that expires,
 * and the retry scheduler picks the delivery up again. The outcome is written only by the
 * claim's owner.
 */
export class Deliveries {
  readonly docs: Collection<DeliveryDoc>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(conn: Connection) {
    this.docs = conn.collection<DeliveryDoc>('notification_deliveries');
    this.claims = conn.collection<ClaimDoc>('notification_delivery_claims');
  }

  async init(): Promise<void> {
    await this.docs.createIndex({ key: 1 }, { unique: true });
    await this.docs.createIndex({ status: 1, nextAttemptAt: 1 });
    await this.docs.createIndex({ userId: 1, _id: -1 });
    await this.claims.createIndex({ until: 1 });
  }

  /**
   * Records a delivery unless it exists. Returns the record and whether this call made it
   * (a replayed event finds its deliveries already there).
   */
  async record(input: { eventId: string; userId: string; channel: ChannelName; destination: string; notification: StoredNotification; notBefore?: Date; trace?: Record<string, string> }, now = new Date()): Promise<{ doc: DeliveryDoc; created: boolean }> {
    const doc: DeliveryDoc = {
      _id: newId('dlv'),
      key: deliveryKey(input.eventId, input.channel, input.destination),
      eventId: input.eventId,
      userId: input.userId,
      channel: input.channel,
      destination: input.destination,
      address: input.destination,
      status: 'pending',
      notification: input.notification,
      createdAt: now,
      nextAttemptAt: input.notBefore ?? now,
      claimSeq: 0,
      leaseOwner: '',
      leaseUntil: FREE,
      replayRequested: false,
      attempts: [],
      deliveredAt: null,
      trace: input.trace ?? {},
    };
    try {
      await this.docs.insertOne(doc);
      return { doc, created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.docs.findOne({ key: doc.key });
      if (!existing) throw err;
      return { doc: existing, created: false };
    }
  }

  /**
   * Takes a due, unclaimed (or abandoned) pending delivery for `leaseMs`; null when someone
   * else has it or it is not due.
   *
   * The claim is an insert of `<delivery id>#<n>` into a collection of its own, n being one
   * more than the last claim: a unique _id is the one thing every backend (FerretDB
   * included, whose findAndModify is not atomic against another client's) lets exactly one
   * writer win. A claim whose holder died is passed over once it expires (n + 1).
   */
  async claim(id: string, owner: string, leaseMs: number, now = new Date()): Promise<DeliveryDoc | null> {
    const doc = await this.docs.findOne({ _id: id });
    if (!isDue(doc, now)) return null;
    const until = new Date(now.getTime() + leaseMs);
    let n = doc.claimSeq + 1;
    for (let tries = 0; ; tries++, n++) {
      try {
        await this.claims.insertOne({ _id: `${id}#${n}`, owner, until });
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err) || tries >= 5) throw err;
        const held = await this.claims.findOne({ _id: `${id}#${n}` });
        if (held && held.until > now) return null;
      }
    }
    // Read again under the claim: what we read first may be older than another replica's attempt.
    const fresh = await this.docs.findOne({ _id: id });
    if (!isDue(fresh, now) || fresh.claimSeq >= n) return null;
    await this.docs.updateOne({ _id: id }, { $set: { claimSeq: n, leaseOwner: owner, leaseUntil: until } });
    return { ...fresh, claimSeq: n, leaseOwner: owner, leaseUntil: until };
  }

  /** Claims of finished attempts are only history once their lease is over. */
  async pruneClaims(olderThan: Date): Promise<number> {
    return (await this.claims.deleteMany({ until: { $lt: olderThan } })).deletedCount;
  }

  /**
   * Writes an attempt and what follows from it, only while `owner` still holds the claim
   * (a claim that expired mid-send belongs to whoever took it next). False when it did not.
   */
  async settle(
    doc: DeliveryDoc,
    owner: string,
    attempt: Omit<AttemptRecord, 'number' | 'owner' | 'replay'>,
    next: { status: DeliveryStatus; nextAttemptAt?: Date; address?: string },
  ): Promise<boolean> {
    const record: AttemptRecord = { ...attempt, number: doc.attempts.length + 1, owner, replay: doc.replayRequested };
    const set: Partial<DeliveryDoc> = {
      status: next.status,
      leaseOwner: '',
      leaseUntil: FREE,
      replayRequested: false,
      ...(next.nextAttemptAt ? { nextAttemptAt: next.nextAttemptAt } : {}),
      ...(next.address ? { address: next.address } : {}),
      ...(next.status === 'delivered' ? { deliveredAt: attempt.at } : {}),
    };
    const r = await this.docs.updateOne({ _id: doc._id, claimSeq: doc.claimSeq, leaseOwner: owner }, { $set: set, $push: { attempts: record } });
    return r.modifiedCount === 1;
  }

  /** Gives a claim back without an attempt (shutdown before sending). */
  async release(doc: DeliveryDoc, owner: string): Promise<void> {
    await this.docs.updateOne({ _id: doc._id, claimSeq: doc.claimSeq, leaseOwner: owner }, { $set: { leaseOwner: '', leaseUntil: FREE } });
  }

  /** Pending deliveries whose time has come and whose claim (if any) expired, oldest first. */
  due(limit: number, now = new Date()): Promise<DeliveryDoc[]> {
    return this.docs
      .find({ status: 'pending', nextAttemptAt: { $lte: now }, leaseUntil: { $lt: now } })
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .toArray();
  }

  /** Oldest pending delivery's creation time per channel (the backlog's age). */
  async oldestPending(): Promise<Map<ChannelName, Date>> {
    const out = new Map<ChannelName, Date>();
    for (const channel of ['telegram', 'email', 'webhook'] as const) {
      const d = await this.docs.find({ status: 'pending', channel }, { projection: { createdAt: 1 } }).sort({ createdAt: 1 }).limit(1).next();
      if (d) out.set(channel, d.createdAt);
    }
    return out;
  }

  get(id: string): Promise<DeliveryDoc | null> {
    return this.docs.findOne({ _id: id });
  }

  /** Makes a delivery due now again, as a replay. */
  async requestReplay(id: string, now = new Date()): Promise<void> {
    await this.docs.updateOne({ _id: id }, { $set: { status: 'pending', nextAttemptAt: now, replayRequested: true } });
  }

  async page(userId: string, opts: { limit: number; before?: string; channel?: string; status?: string; subjectIds?: readonly string[] }): Promise<{ docs: DeliveryDoc[]; next?: string }> {
    const filter: Record<string, unknown> = { userId };
    if (opts.before) filter._id = { $lt: opts.before };
    if (opts.channel) filter.channel = opts.channel;
    if (opts.status) filter.status = opts.status;
    // Trading's event ids are "<signal or trade id>:<what happened>" (Nats-Msg-Id): a prefix
    // match finds a signal's notifications without a field of their own. The ids are checked
    // (subjectIdsOf), so they hold nothing a pattern would read as an operator. Scanned within
    // the user's deliveries (the userId index).
    if (opts.subjectIds && opts.subjectIds.length > 0) {
      filter.$or = opts.subjectIds.map((id) => ({ eventId: { $regex: `^${id}:` } }));
    }
    const docs = await this.docs.find(filter).sort({ _id: -1 }).limit(opts.limit + 1).toArray();
    const more = docs.length > opts.limit;
    const shown = docs.slice(0, opts.limit);
    return { docs: shown, ...(more ? { next: shown.at(-1)!._id } : {}) };
  }
}
