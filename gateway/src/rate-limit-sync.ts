import type { Logger } from '@tbot/common';
import { StorageType, type KV, type NatsConnection } from 'nats';
import { WINDOW_MS, type PendingHits, type RateLimiter } from './rate-limit';

/** The NATS KV bucket holding one counter per limiter, window and key. */
export const RATE_LIMIT_BUCKET = 'RATE_LIMITS';

/** JetStream's "wrong last sequence": another replica wrote the counter since we read it. */
const WRONG_LAST_SEQUENCE = 10071;
/** Compare-and-set attempts per counter and sync before its hits wait for the next sync. */
const CAS_ATTEMPTS = 5;
/** Counters written at once per sync: a replica with many active keys must not flood NATS. */
const CONCURRENCY = 32;

/**
 * The counter's key in the bucket: `<limiter>.<window start>.<key>`, the key in base64url
 * because KV keys allow only `[-/_=.a-zA-Z0-9]` (an IPv6 address has colons).
 */
export function counterKey(limiter: string, start: number, key: string): string {
  return `${limiter}.${start}.${Buffer.from(key).toString('base64url') || '_'}`;
}

/** The value after adding delta to what the counter held (an unreadable value counts as 0). */
export function addToCounter(current: string | undefined, delta: number): number {
  const n = Number(current);
  return (Number.isSafeInteger(n) && n > 0 ? n : 0) + delta;
}

export interface Counters {
  /** Adds delta to the counter with compare-and-set; the new total and its revision. */
  add(key: string, delta: number, known: { total: number; revision: number }): Promise<{ total: number; revision: number }>;
}

/**
 * Counters in NATS KV. No increment operation exists, so an add is a compare-and-set on the
 * key's last revision: first with the revision this replica last saw (one round trip when
 * no other replica wrote in between), then re-read and retried on a conflict.
 */
export class KvCounters implements Counters {
  constructor(private readonly kv: KV) {}

  async add(key: string, delta: number, known: { total: number; revision: number }) {
    let total = known.total;
    let revision = known.revision;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const next = total + delta;
      try {
        // previousSeq 0: the key must not exist yet (first hit of the window anywhere).
        const seq = await this.kv.put(key, String(next), { previousSeq: revision });
        return { total: next, revision: seq };
      } catch (err) {
        if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== WRONG_LAST_SEQUENCE) throw err;
      }
      const entry = await this.kv.get(key);
      const live = entry && entry.operation === 'PUT';
      total = live ? addToCounter(entry.string(), 0) : 0;
      revision = entry ? entry.revision : 0;
    }
    throw new Error(`rate-limit counter ${key}: still contended after ${CAS_ATTEMPTS} attempts`);
  }
}

/** Opens (creating when missing) the bucket: in memory, values gone two windows after their last write. */
export async function openRateLimitBucket(nc: NatsConnection, timeoutMs: number): Promise<KV> {
  // Counts matter for a minute: memory storage, and a TTL past the window plus clock skew.
  return nc.jetstream({ timeout: timeoutMs }).views.kv(RATE_LIMIT_BUCKET, {
    history: 1,
    ttl: 2 * WINDOW_MS,
    storage: StorageType.Memory,
    timeout: timeoutMs,
  });
}

/**
 * Adds every limiter's new hits to the shared counters every intervalMs, in the background:
 * requests never wait on it. When the bucket cannot be opened or written (NATS down, no
 * JetStream), hits stay pending and the limiters decide on what they know locally; the
 * next sync tries again.
 */
export class RateLimitSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private counters: Counters | undefined;
  private failing = false;

  constructor(
    private readonly limiters: readonly RateLimiter[],
    private readonly open: () => Promise<Counters>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onFailure: () => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // A sync still running (a slow or unreachable NATS) is not doubled up.
      if (!this.running) this.running = this.sync().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and adds what is still pending once more (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.sync();
  }

  /** One round: every limiter's pending hits added to the shared counters. */
  async sync(): Promise<void> {
    const work: Array<{ limiter: RateLimiter; p: PendingHits }> = [];
    for (const limiter of this.limiters) for (const p of limiter.takePending()) work.push({ limiter, p });
    if (work.length === 0) return;
    let counters: Counters;
    try {
      counters = this.counters ??= await this.open();
    } catch (err) {
      for (const { limiter, p } of work) limiter.unsettled(p);
      return this.failed(err);
    }
    let firstError: unknown;
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const { limiter, p } = work[next++]!;
        try {
          const r = await counters.add(counterKey(limiter.name, p.start, p.key), p.delta, { total: p.shared, revision: p.revision });
          limiter.settled(p, r.total, r.revision);
        } catch (err) {
          firstError ??= err;
          limiter.unsettled(p);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
    if (firstError !== undefined) return this.failed(firstError);
    if (this.failing) this.logger.info('rate-limit counters in NATS KV reachable again: limits hold across replicas');
    this.failing = false;
  }

  private failed(err: unknown): void {
    this.onFailure();
    // Once per outage, not once per sync: the log must not fill up while NATS is down.
    if (!this.failing) {
      this.logger.warn({ err }, 'rate-limit counters in NATS KV unreachable: limiting per replica until they are back');
    }
    this.failing = true;
  }
}
