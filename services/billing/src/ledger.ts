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

  /** One event, applied now (RPCs, the Paystack callback). Throws what the effect throws. */
  async once(
    eventKey: string,
    meta: { provider: string; type: string; payload?: unknown },
    effect: () => Promise<EffectResult>,
  ): Promise<LedgerResult> {
    const [r] = await this.applyBatch([
      {
        eventKey,
        provider: meta.provider,
        type: meta.type,
        payload: meta.payload === undefined ? '' : JSON.stringify(meta.payload),
        partition: eventKey,
        effect,
      },
    ]);
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
      if (typeof claim === 'object') results[i] = { ok: true, result: claim };
    }

    const mine = [...first.values()].filter((i) => results[i] === undefined);
    const effects = new Map<number, EffectResult | { error: unknown }>();
    await this.runPartitioned(mine.map((i) => ({ i, item: items[i]! })), async ({ i, item }) => {
      try {
        effects.set(i, await item.effect());
      } catch (error) {
        effects.set(i, { error });
      }
    });

    const events: OutboxEvent[] = [];
    const writes: Parameters<Models['Ledger']['bulkWrite']>[0] = [];
    const parked: Parameters<Models['Unmatched']['bulkWrite']>[0] = [];
    const found: string[] = [];
    const finishedAt = new Date();
    const expiresAt = new Date(finishedAt.getTime() + this.opts.retentionDays * 86_400_000);
    for (const i of mine) {
      const item = items[i]!;
      const r = effects.get(i)!;
      if ('error' in r) {
        results[i] = { ok: false, error: r.error };
        writes.push({ deleteOne: { filter: { _id: item.eventKey, state: 'processing' } } });
        continue;
      }
      if (r.outcome === 'unmatched' && item.deferUnmatched) {
        results[i] = { ok: true, deferred: true, result: { outcome: 'unmatched', eventKey: item.eventKey, detail: r.detail } };
        writes.push({ deleteOne: { filter: { _id: item.eventKey, state: 'processing' } } });
        continue;
      }
      events.push(...(r.events ?? []));
      if (r.outcome === 'unmatched') {
        const doc = { provider: item.provider, type: item.type, payload: item.payload, matchKeys: r.matchKeys ?? [], detail: r.detail ?? null, parkedAt: finishedAt };
        parked.push({ updateOne: { filter: { _id: item.eventKey }, update: { $set: doc }, upsert: true } });
      } else if (owned.get(item.eventKey) === 'from_unmatched') {
        found.push(item.eventKey);
      }
      writes.push({
        updateOne: {
          filter: { _id: item.eventKey },
          update: {
            $set: {
              state: 'done',
              leaseUntil: null,
              outcome: r.outcome,
              userId: r.userId ?? null,
              detail: r.detail ?? null,
              finishedAt,
              expiresAt,
            },
          },
        },
      });
      results[i] = { ok: true, result: { outcome: r.outcome, eventKey: item.eventKey, userId: r.userId, detail: r.detail } };
    }

    try {
      // Events first: once an entry says `done`, its events must already be durable.
      for (const part of chunks(events)) await this.outbox.store(part);
      for (const part of chunks(parked)) await this.models.Unmatched.bulkWrite(part, { ordered: false });
      for (const part of chunks(writes)) await this.models.Ledger.bulkWrite(part, { ordered: false });
      if (found.length > 0) await Promise.all(found.map((id) => this.models.Unmatched.deleteOne({ _id: id })));
    } catch (err) {
      await Promise.all(mine.map((i) => this.models.Ledger.deleteOne({ _id: items[i]!.eventKey, state: 'processing' }))).catch((e: unknown) =>
        this.logger.error({ err: e }, 'could not release ledger claims'),
      );
      return items.map((_, i) => (mine.includes(i) ? { ok: false, error: err } : results[i]!));
    }
    this.outbox.publishSoon(events);
    return results;
  }

  /**
   * Claims every key it can: true for an owned key ('from_unmatched' when it was parked
   * unmatched), else the DUPLICATE answer. One insert
   * for the batch; keys that exist are looked up once and taken over when their lease
   * expired or they are unmatched.
   */
  private async claimAll(
    wanted: Array<{ key: string; item: LedgerItem }>,
    now: Date,
    leaseUntil: Date,
  ): Promise<Map<string, true | 'from_unmatched' | LedgerResult>> {
    const { Ledger } = this.models;
    const out = new Map<string, true | 'from_unmatched' | LedgerResult>();
    if (wanted.length === 0) return out;
    const docs = wanted.map(({ key, item }) => ({
      _id: key,
      provider: item.provider,
      type: item.type,
      state: 'processing',
      leaseUntil,
      receivedAt: now,
      expiresAt: new Date(now.getTime() + this.opts.retentionDays * 86_400_000),
    }));
    const failed = new Set<string>();
    for (const part of chunks(docs)) {
      try {
        await Ledger.collection.insertMany(part as unknown as Parameters<typeof Ledger.collection.insertMany>[0], { ordered: false });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const writeErrors = (err as { writeErrors?: Array<{ index: number }> | { index: number } }).writeErrors;
        const list = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
        // Unknown which: look all of them up.
        for (const d of list.length > 0 ? list.map((w) => part[w.index]!) : part) failed.add(d._id);
      }
    }
    for (const { key } of wanted) if (!failed.has(key)) out.set(key, true);
    if (failed.size === 0) return out;

    // One lookup by _id each: FerretDB turns `_id: {$in}` into a scan of the whole ledger.
    const existing = await Promise.all([...failed].map((key) => Ledger.findById(key).lean()));
    const byKey = new Map(existing.filter((e) => e !== null).map((e) => [e._id, e]));
    for (const key of failed) {
      const e = byKey.get(key);
      if (out.has(key)) continue;
      const claimable =
        !e || (e.state === 'processing' && e.leaseUntil && e.leaseUntil <= now) || (e.state === 'done' && e.outcome === 'unmatched');
      if (claimable) {
        const taken = await Ledger.findOneAndUpdate(
          {
            _id: key,
            $or: [
              { state: 'processing', leaseUntil: { $lte: now } },
              { state: 'done', outcome: 'unmatched' },
            ],
          },
          { $set: { state: 'processing', leaseUntil } },
        ).lean();
        if (taken) {
          if (taken.state === 'processing') this.logger.warn({ eventKey: key }, 'took over an expired ledger claim');
          out.set(key, taken.outcome === 'unmatched' ? 'from_unmatched' : true);
          continue;
        }
      }
      const fresh = e ?? (await Ledger.findById(key).lean());
      const inProgress = fresh?.state === 'processing';
      out.set(key, {
        outcome: 'duplicate',
        eventKey: key,
        userId: fresh?.userId ?? undefined,
        detail: inProgress ? 'the same event is being applied by another delivery' : `already applied (${fresh?.outcome ?? 'unknown'})`,
        ...(inProgress ? { inProgress } : {}),
      });
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
