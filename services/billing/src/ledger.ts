import { isDuplicateKeyError, writeErrorsOf, type Logger, type Outbox, type OutboxEvent } from '@tbot/common';
import type { Models } from './models';
import type { UnitOfWork } from './user-state';

export type Outcome = 'applied' | 'duplicate' | 'stale' | 'ignored' | 'unmatched';

export interface EffectResult {
  outcome: Exclude<Outcome, 'duplicate'>;
  userId?: string;
  detail?: string;
  events?: OutboxEvent[];
  /**
   * For UNMATCHED: the links that would identify the user (`stripe_customer:cus_…`,
   * `user:<id>`, `email:…`). When one of them appears, the parked event is re-tried.
   */
  matchKeys?: string[];
}

export interface LedgerResult {
  outcome: Outcome;
  eventKey: string;
  userId?: string;
  detail?: string;
  /**
   * DUPLICATE only: another delivery holds the claim and has not finished. Whether the
   * event will be applied is not known yet, so a redelivery must not be acked on this.
   */
  inProgress?: boolean;
}

export interface LedgerItem {
  eventKey: string;
  provider: string;
  type: string;
  /** The raw body, kept only while the event is unmatched (as a string: provider JSON may hold `$` keys). */
  payload: string;
  /** Events of the same partition (customer) run one after another, in the given order. */
  partition: string;
  effect: () => Promise<EffectResult>;
  /**
   * When true an UNMATCHED result is not recorded: the claim is released so a later
   * delivery tries again (the user link may not exist yet).
   */
  deferUnmatched?: boolean;
}

/**
 * Most statements in one bulk command. FerretDB 1.24 stops answering an `update` with
 * 100+ statements on SQLite (50+ on PostgreSQL); MongoDB takes any number. Chunks keep
 * the round trips per batch few without reaching that.
 */
const BULK_CHUNK = 32;

function chunks<T>(items: T[], size = BULK_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** How a claim went: ours (new, an unmatched entry being tried again, a released or dead holder's), or the answer for a repeat. */
type Claimed = 'new' | 'from_unmatched' | 'taken_over' | LedgerResult;

export type ItemResult =
  | { ok: true; result: LedgerResult; deferred?: boolean }
  | { ok: false; error: unknown };

/** For a ledger whose effects change nothing through a unit of work. */
const NO_UNIT: UnitOfWork = { run: (fn) => fn(), commit: async () => undefined, release: async () => undefined };

/** A lease in the past: the claim is free for the next delivery (released, not abandoned). */
const RELEASED = new Date(0);

/**
 * Exactly one effect per provider event, without multi-document transactions and without
 * reading anything on the way of a new event:
 *  1. claim the key by inserting into `webhook_claims` (unique _id, a lease). An insert
 *     that succeeds means the event was never seen: no lookup needed. (FerretDB 1.x
 *     answers every find, even by _id, by reading the whole collection; an insert checks
 *     the unique index only. Lookups happen on the rare paths below.)
 *  2. run the effect, which is written to be safe to re-run (state is set, not
 *     incremented; payments are keyed by provider id);
 *  3. store the events it caused in the outbox, then insert the outcome into the ledger
 *     (`webhook_events`). Both collections are only ever inserted into on this path.
 * A claim that exists already (a repeat, a redelivery, a replay) is looked up: an outcome
 * in the ledger answers DUPLICATE; an UNMATCHED outcome may be tried again (a replay is a
 * new attempt to find its user); no outcome means another delivery is applying it, unless
 * its lease has run out (its holder died, or released it after a failure): then the
 * claim is taken over and the effect runs again. Claims and outcomes expire together
 * after the retention.
 *
 * Batches share their round trips (one claim insert, one outbox insert, one ledger insert
 * per chunk), which is what lets billing keep up with the gateway.
 */
export class EventLedger {
  constructor(
    private readonly models: Models,
    private readonly outbox: Outbox,
    private readonly logger: Logger,
    private readonly opts: {
      retentionDays: number;
      leaseMs?: number;
      concurrency?: number;
      /** The unit of work a batch's effects run in: their user changes are written at its commit. */
      begin?: () => UnitOfWork;
    },
  ) {}

  /** One event, applied now (the Apply* RPCs, the Paystack callback). Throws what the effect throws. */
  async applyOne(item: LedgerItem): Promise<LedgerResult> {
    const [r] = await this.applyBatch([item]);
    if (!r!.ok) throw r!.error;
    return r!.result;
  }

  /**
   * durableInput: the items come from messages that are delivered again until acked (the
   * webhook stream), so their events are published directly once the changes are written
   * (see Outbox.deliver); otherwise they are stored in the outbox before the outcome is
   * recorded, and published after.
   */
  async applyBatch(items: LedgerItem[], opts: { durableInput?: boolean } = {}): Promise<ItemResult[]> {
    const work = this.opts.begin?.() ?? NO_UNIT;
    try {
      return await this.applyWithin(work, items, opts.durableInput ?? false);
    } finally {
      await work.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release user locks; their leases will expire'));
    }
  }

  private async applyWithin(work: UnitOfWork, items: LedgerItem[], durableInput: boolean): Promise<ItemResult[]> {
    const results: ItemResult[] = new Array(items.length);
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + (this.opts.leaseMs ?? 60_000));
    const expiresAt = new Date(now.getTime() + this.opts.retentionDays * 86_400_000);

    // The same event twice in one batch (a provider resend): the first one decides.
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (first.has(item.eventKey)) {
        results[i] = { ok: true, result: { outcome: 'duplicate', eventKey: item.eventKey, detail: 'the same event is being applied by another delivery', inProgress: true } };
      } else first.set(item.eventKey, i);
    });
    const owned = await this.claimAll([...first.keys()], now, leaseUntil, expiresAt);
    for (const [key, i] of first) {
      const claim = owned.get(key)!;
      if (typeof claim === 'object') results[i] = { ok: true, result: claim };
    }

    const mine = [...first.values()].filter((i) => results[i] === undefined);
    const effects = new Map<number, EffectResult | { error: unknown }>();
    await work.run(() =>
      this.runPartitioned(mine.map((i) => ({ i, item: items[i]! })), async ({ i, item }) => {
        try {
          effects.set(i, await item.effect());
        } catch (error) {
          effects.set(i, { error });
        }
      }),
    );

    const events: OutboxEvent[] = [];
    const entries: Array<Record<string, unknown> & { _id: string }> = [];
    const replaced: string[] = [];
    const parked: Parameters<Models['Unmatched']['bulkWrite']>[0] = [];
    const found: string[] = [];
    // Claims handed back for the next delivery: failed, deferred, or parked unmatched.
    const released: string[] = [];
    const finishedAt = new Date();
    for (const i of mine) {
      const item = items[i]!;
      const r = effects.get(i)!;
      if ('error' in r) {
        results[i] = { ok: false, error: r.error };
        released.push(item.eventKey);
        continue;
      }
      if (r.outcome === 'unmatched' && item.deferUnmatched) {
        results[i] = { ok: true, deferred: true, result: { outcome: 'unmatched', eventKey: item.eventKey, detail: r.detail } };
        released.push(item.eventKey);
        continue;
      }
      events.push(...(r.events ?? []));
      if (owned.get(item.eventKey) === 'from_unmatched') {
        // Its earlier UNMATCHED entry gives way to this outcome.
        replaced.push(item.eventKey);
        if (r.outcome !== 'unmatched') found.push(item.eventKey);
      }
      if (r.outcome === 'unmatched') {
        const doc = { provider: item.provider, type: item.type, payload: item.payload, matchKeys: r.matchKeys ?? [], detail: r.detail ?? null, parkedAt: finishedAt };
        parked.push({ updateOne: { filter: { _id: item.eventKey }, update: { $set: doc }, upsert: true } });
        released.push(item.eventKey);
      }
      entries.push({
        _id: item.eventKey,
        provider: item.provider,
        type: item.type,
        state: 'done',
        outcome: r.outcome,
        userId: r.userId ?? null,
        detail: r.detail ?? null,
        receivedAt: now,
        finishedAt,
        expiresAt,
      });
      results[i] = { ok: true, result: { outcome: r.outcome, eventKey: item.eventKey, userId: r.userId, detail: r.detail } };
    }

    const { Ledger, Unmatched } = this.models;
    try {
      // The changes first, then their events, then the outcomes: nothing is announced that
      // is not stored, and once the ledger has an outcome its events are durable (in
      // JetStream, or in the outbox). A crash in between leaves the claims to expire; the
      // next delivery decides again from what is stored: the change it finds already
      // made is announced again under the same ids (JetStream drops the repeat).
      await work.commit();
      if (durableInput) await this.outbox.deliver(events);
      else for (const part of chunks(events)) await this.outbox.store(part);
      for (const part of chunks(parked)) await Unmatched.bulkWrite(part, { ordered: false });
      await Promise.all(replaced.map((id) => Ledger.deleteOne({ _id: id })));
      for (const part of chunks(entries)) {
        try {
          await Ledger.collection.insertMany(part as unknown as Parameters<typeof Ledger.collection.insertMany>[0], { ordered: false });
        } catch (err) {
          // Recorded already by an attempt that died after writing it: same outcome.
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
      if (found.length > 0) await Promise.all(found.map((id) => Unmatched.deleteOne({ _id: id })));
    } catch (err) {
      await this.release(mine.map((i) => items[i]!.eventKey)).catch((e: unknown) => this.logger.error({ err: e }, 'could not release ledger claims'));
      return items.map((_, i) => (mine.includes(i) ? { ok: false, error: err } : results[i]!));
    }
    await this.release(released).catch((e: unknown) =>
      this.logger.warn({ err: e }, 'could not release ledger claims; their leases will expire'),
    );
    if (!durableInput) this.outbox.publishSoon(events);
    return results;
  }

  /** Hands claims back: the next delivery takes them over at once instead of waiting for the lease. */
  private async release(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.models.Claim.updateMany({ _id: { $in: keys } }, { $set: { leaseUntil: RELEASED } });
  }

  /**
   * Claims every key it can by inserting its claim. A key whose claim exists was seen
   * before: its outcome in the ledger decides (DUPLICATE, or UNMATCHED to try again);
   * without one, the claim is another delivery's until its lease runs out.
   */
  private async claimAll(keys: string[], now: Date, leaseUntil: Date, expiresAt: Date): Promise<Map<string, Claimed>> {
    const { Ledger, Claim } = this.models;
    const out = new Map<string, Claimed>();
    const seen = new Set<string>();
    await Promise.all(
      chunks(keys.map((key) => ({ _id: key, leaseUntil, claimedAt: now, expiresAt }))).map(async (part) => {
        try {
          await Claim.collection.insertMany(part as unknown as Parameters<typeof Claim.collection.insertMany>[0], { ordered: false });
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          const list = writeErrorsOf(err);
          // Unknown which: treat all of them as seen (each is looked up below).
          for (const d of list.length > 0 ? list.map((w) => part[w.index]!) : part) seen.add(d._id);
        }
      }),
    );
    await Promise.all(
      keys.map(async (key) => {
        if (!seen.has(key)) return out.set(key, 'new');
        const entry = await Ledger.findById(key, { outcome: 1, userId: 1 }).lean();
        if (entry && entry.outcome !== 'unmatched') {
          return out.set(key, { outcome: 'duplicate', eventKey: key, userId: entry.userId ?? undefined, detail: `already applied (${entry.outcome ?? 'unknown'})` });
        }
        const before = await Claim.findOneAndUpdate({ _id: key, leaseUntil: { $lte: now } }, { $set: { leaseUntil, claimedAt: now } }).lean();
        if (!before) {
          return out.set(key, { outcome: 'duplicate', eventKey: key, detail: 'the same event is being applied by another delivery', inProgress: true });
        }
        if (!entry && before.leaseUntil.getTime() !== RELEASED.getTime()) {
          this.logger.warn({ eventKey: key, claimedAt: before.claimedAt }, 'took over an expired ledger claim');
        }
        return out.set(key, entry ? 'from_unmatched' : 'taken_over');
      }),
    );
    return out;
  }

  /** Runs work grouped by partition: in order within one, up to `concurrency` partitions at once. */
  private async runPartitioned<T extends { item: LedgerItem }>(work: T[], run: (w: T) => Promise<void>): Promise<void> {
    const groups = new Map<string, T[]>();
    for (const w of work) {
      const g = groups.get(w.item.partition);
      if (g) g.push(w);
      else groups.set(w.item.partition, [w]);
    }
    const queue = [...groups.values()];
    const workers = Array.from({ length: Math.min(this.opts.concurrency ?? 32, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) {
        for (const w of g) await run(w);
      }
    });
    await Promise.all(workers);
  }
}
