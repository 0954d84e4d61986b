import { isDuplicateKeyError, type Logger, type Outbox, type OutboxEvent } from '@tbot/common';
import type { Models } from './models';

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

/** How a claim went: ours (fresh, or replacing an unmatched entry), ours with a dead holder's finished effect, or someone else's. */
type Claimed = true | 'from_unmatched' | { resume: EffectResult; fromUnmatched: boolean } | LedgerResult;

export type ItemResult =
  | { ok: true; result: LedgerResult; deferred?: boolean }
  | { ok: false; error: unknown };

/**
 * Exactly one effect per provider event, without multi-document transactions:
 *  1. claim the key by inserting a `processing` entry with a lease (unique _id);
 *  2. run the effect, which is written to be safe to re-run (state is set, not
 *     incremented; payments are keyed by provider id);
 *  3. store the events it caused in the outbox, then mark the entry `done`.
 * A repeat finds the entry and answers DUPLICATE. If the effect throws, the claim is
 * released so a redelivery runs it again; if the process dies mid-way, the lease expires
 * and the next delivery takes the claim over. An UNMATCHED entry may be claimed again:
 * a replay of it is a new attempt to find its user.
 *
 * Batches share their round trips (one claim insert, one outbox insert, one bulk update
 * for the whole batch), which is what lets billing keep up with the gateway.
 */
export class EventLedger {
  constructor(
    private readonly models: Models,
    private readonly outbox: Outbox,
    private readonly logger: Logger,
    private readonly opts: { retentionDays: number; leaseMs?: number; concurrency?: number },
  ) {}

  /** One event, applied now (the Apply* RPCs, the Paystack callback). Throws what the effect throws. */
  async applyOne(item: LedgerItem): Promise<LedgerResult> {
    const [r] = await this.applyBatch([item]);
    if (!r!.ok) throw r!.error;
    return r!.result;
  }

  async applyBatch(items: LedgerItem[]): Promise<ItemResult[]> {
    const results: ItemResult[] = new Array(items.length);
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + (this.opts.leaseMs ?? 60_000));

    // The same event twice in one batch (a provider resend): the first one decides.
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (first.has(item.eventKey)) {
        results[i] = { ok: true, result: { outcome: 'duplicate', eventKey: item.eventKey, detail: 'the same event is being applied by another delivery', inProgress: true } };
      } else first.set(item.eventKey, i);
    });
    const owned = await this.claimAll([...first.entries()].map(([key, i]) => ({ key, item: items[i]! })), now, leaseUntil);
    for (const [key, i] of first) {
      const claim = owned.get(key)!;
      if (typeof claim === 'object' && !('resume' in claim)) results[i] = { ok: true, result: claim };
    }

    const mine = [...first.values()].filter((i) => results[i] === undefined);
    const effects = new Map<number, EffectResult | { error: unknown }>();
    const fresh: number[] = [];
    await this.runPartitioned(mine.map((i) => ({ i, item: items[i]! })), async ({ i, item }) => {
      const claim = owned.get(item.eventKey);
      if (typeof claim === 'object' && 'resume' in claim) {
        // A delivery that died after the effect: finish its bookkeeping, do not run it again
        // (newer events may have moved the state on, and a re-run would say STALE and
        // leave the change unannounced).
        effects.set(i, claim.resume);
        return;
      }
      try {
        effects.set(i, await item.effect());
        fresh.push(i);
      } catch (error) {
        effects.set(i, { error });
      }
    });
    // Checkpoint: what each effect did, on its claim, before anything else is written.
    const done = fresh.flatMap((i) => {
      const r = effects.get(i)!;
      return 'error' in r || (r.outcome === 'unmatched' && items[i]!.deferUnmatched) ? [] : [{ key: items[i]!.eventKey, r }];
    });
    try {
      for (const part of chunks(done)) {
        await this.models.Claim.bulkWrite(
          part.map(({ key, r }) => ({ updateOne: { filter: { _id: key }, update: { $set: { result: JSON.stringify(r) } } } })),
          { ordered: false },
        );
      }
    } catch (err) {
      // Without the checkpoint a redelivery re-runs the effect: still one change, maybe unannounced.
      this.logger.warn({ err }, 'could not checkpoint webhook effects');
    }

    const events: OutboxEvent[] = [];
    const entries: Array<Record<string, unknown> & { _id: string }> = [];
    const replaced: string[] = [];
    const parked: Parameters<Models['Unmatched']['bulkWrite']>[0] = [];
    const found: string[] = [];
    const released: string[] = [];
    const finishedAt = new Date();
    const expiresAt = new Date(finishedAt.getTime() + this.opts.retentionDays * 86_400_000);
    for (const i of mine) {
      const item = items[i]!;
      const r = effects.get(i)!;
      released.push(item.eventKey);
      if ('error' in r) {
        results[i] = { ok: false, error: r.error };
        continue;
      }
      if (r.outcome === 'unmatched' && item.deferUnmatched) {
        results[i] = { ok: true, deferred: true, result: { outcome: 'unmatched', eventKey: item.eventKey, detail: r.detail } };
        continue;
      }
      events.push(...(r.events ?? []));
      const claimed = owned.get(item.eventKey);
      if (claimed === 'from_unmatched' || (typeof claimed === 'object' && 'resume' in claimed && claimed.fromUnmatched)) {
        // Its earlier UNMATCHED entry gives way to this outcome.
        replaced.push(item.eventKey);
        if (r.outcome !== 'unmatched') found.push(item.eventKey);
      }
      if (r.outcome === 'unmatched') {
        const doc = { provider: item.provider, type: item.type, payload: item.payload, matchKeys: r.matchKeys ?? [], detail: r.detail ?? null, parkedAt: finishedAt };
        parked.push({ updateOne: { filter: { _id: item.eventKey }, update: { $set: doc }, upsert: true } });
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

    const { Ledger, Claim, Unmatched } = this.models;
    try {
      // Events first: once the ledger has an entry, its events must already be durable.
      for (const part of chunks(events)) await this.outbox.store(part);
      for (const part of chunks(parked)) await Unmatched.bulkWrite(part, { ordered: false });
      await Promise.all(replaced.map((id) => Ledger.deleteOne({ _id: id })));
      // The ledger is only ever inserted into (never updated): on FerretDB an update of a
      // large collection costs a scan, an insert does not.
      for (const part of chunks(entries)) {
        try {
          await Ledger.collection.insertMany(part as unknown as Parameters<typeof Ledger.collection.insertMany>[0], { ordered: false });
        } catch (err) {
          // Recorded already by an attempt that died before releasing its claim: same outcome.
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
      if (found.length > 0) await Promise.all(found.map((id) => Unmatched.deleteOne({ _id: id })));
    } catch (err) {
      await Claim.deleteMany({ _id: { $in: released } }).catch((e: unknown) => this.logger.error({ err: e }, 'could not release ledger claims'));
      return items.map((_, i) => (mine.includes(i) ? { ok: false, error: err } : results[i]!));
    }
    // Claims live in a small collection of their own, for the events in flight only.
    if (released.length > 0) {
      await Claim.deleteMany({ _id: { $in: released } }).catch((e: unknown) =>
        this.logger.warn({ err: e }, 'could not release ledger claims; their leases will expire'),
      );
    }
    this.outbox.publishSoon(events);
    return results;
  }

  /**
   * Claims every key it can: true for an owned key ('from_unmatched' when the ledger has
   * it as unmatched: a replay is a new attempt), else the DUPLICATE answer. The ledger is
   * read by _id (cheap everywhere); claims are inserted into `webhook_claims`, whose
   * unique _id lets one delivery at a time apply an event. A claim whose lease expired
   * (its holder died) is taken over.
   */
  private async claimAll(
    wanted: Array<{ key: string; item: LedgerItem }>,
    now: Date,
    leaseUntil: Date,
  ): Promise<Map<string, Claimed>> {
    const { Ledger, Claim } = this.models;
    const out = new Map<string, Claimed>();
    if (wanted.length === 0) return out;
    // One lookup by _id each: FerretDB turns `_id: {$in}` into a scan of the whole ledger.
    const recorded = await Promise.all(wanted.map(({ key }) => Ledger.findById(key, { outcome: 1, userId: 1 }).lean()));
    const candidates: Array<{ key: string; wasUnmatched: boolean }> = [];
    wanted.forEach(({ key }, i) => {
      const e = recorded[i];
      if (e && e.outcome !== 'unmatched') {
        out.set(key, { outcome: 'duplicate', eventKey: key, userId: e.userId ?? undefined, detail: `already applied (${e.outcome ?? 'unknown'})` });
      } else candidates.push({ key, wasUnmatched: Boolean(e) });
    });
    const docs = candidates.map(({ key }) => ({ _id: key, leaseUntil, claimedAt: now }));
    const taken = new Set<string>();
    for (const part of chunks(docs)) {
      try {
        await Claim.collection.insertMany(part as unknown as Parameters<typeof Claim.collection.insertMany>[0], { ordered: false });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const writeErrors = (err as { writeErrors?: Array<{ index: number }> | { index: number } }).writeErrors;
        const list = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
        // Unknown which: look all of them up.
        for (const d of list.length > 0 ? list.map((w) => part[w.index]!) : part) taken.add(d._id);
      }
    }
    for (const { key, wasUnmatched } of candidates) {
      let mine = !taken.has(key);
      if (!mine) {
        // Held by another delivery: ours only if its holder's lease ran out.
        const takenOver = await Claim.findOneAndUpdate({ _id: key, leaseUntil: { $lte: now } }, { $set: { leaseUntil, claimedAt: now } }).lean();
        if (takenOver) {
          this.logger.warn({ eventKey: key, resumed: Boolean(takenOver.result) }, 'took over an expired ledger claim');
          if (takenOver.result) {
            out.set(key, { resume: JSON.parse(takenOver.result) as EffectResult, fromUnmatched: wasUnmatched });
            continue;
          }
        }
        mine = takenOver !== null;
      }
      if (mine) out.set(key, wasUnmatched ? 'from_unmatched' : true);
      else out.set(key, { outcome: 'duplicate', eventKey: key, detail: 'the same event is being applied by another delivery', inProgress: true });
    }
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
