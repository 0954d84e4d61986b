import type { NextFunction, Request, Response } from 'express';
import { sendError } from './http-errors';

/** Length of a counting window. Windows are aligned to the clock so every replica agrees on them. */
export const WINDOW_MS = 60_000;

interface Window {
  start: number;
  /** Hits this replica counted in the window. */
  count: number;
  /** Of those, hits not yet added to the shared counter. */
  pending: number;
  /** The shared counter's total as last read (every replica's hits that reached it, ours included). */
  shared: number;
  /** The shared counter's revision that `shared` was read at (0: not read yet). */
  revision: number;
}

/** Hits a limiter counted but has not added to the shared counter yet. */
export interface PendingHits {
  key: string;
  start: number;
  delta: number;
  /** Last known total and revision of the shared counter, for a compare-and-set without a read. */
  shared: number;
  revision: number;
}

/**
 * Fixed one-minute windows per key, decided in memory so a check never waits on the network.
 *
 * On its own it limits per replica. With a shared counter (rate-limit-sync.ts) every
 * replica adds its hits to one total per key and window in NATS KV every few hundred ms,
 * and decides on `max(own count, last known total + hits not yet added)`. What that costs:
 * a replica learns of the others' hits only when it next syncs, so within one sync
 * interval N replicas can each let through what they see as the remainder. For a key
 * hit steadily at r per second spread over N replicas, the window admits about
 * limit + r × SYNC_INTERVAL × (N − 1) / N; a burst that reaches all replicas at once
 * before any sync is admitted up to N × limit, never more (each replica still stops at
 * the limit on what it sees). Without NATS KV the limiter keeps working per replica.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  /** Keys with hits not yet handed to the sync: it visits these, not every key remembered. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
    /** Most keys remembered: past it the least recently counted are forgotten (memory stays bounded). */
    private readonly maxKeys = 100_000,
    /** Names this limiter's counters in the shared store. */
    readonly name = 'default',
  ) {}

  /** Seconds until the key may try again, or 0 when this hit is allowed (and counted). */
  hit(key: string): number {
    const t = this.now();
    const start = windowStart(t);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.prune(start);
      w = { start, count: 0, pending: 0, shared: 0, revision: 0 };
    } else {
      // Re-inserted below: the map's order is least recently counted first.
      this.windows.delete(key);
    }
    this.windows.set(key, w);
    w.count += 1;
    w.pending += 1;
    if (w.pending === 1) this.dirty.add(key);
    return seen(w) > this.limitPerMinute ? this.wait(start, t) : 0;
  }

  /** Seconds until the key may try again (0: it may), without counting anything. */
  peek(key: string): number {
    const t = this.now();
    const start = windowStart(t);
    const w = this.windows.get(key);
    return w && w.start === start && seen(w) >= this.limitPerMinute ? this.wait(start, t) : 0;
  }

  /**
   * Hands over the hits of the current window not yet added to the shared counter, and
   * counts them as added. Earlier windows are over: their hits no longer matter.
   */
  takePending(): PendingHits[] {
    const start = windowStart(this.now());
    const out: PendingHits[] = [];
    for (const key of this.dirty) {
      const w = this.windows.get(key);
      if (!w || w.pending === 0 || w.start !== start) continue;
      out.push({ key, start, delta: w.pending, shared: w.shared, revision: w.revision });
      w.pending = 0;
    }
    this.dirty.clear();
    return out;
  }

  /** The shared counter after our hits were added: the total every replica has counted. */
  settled(p: PendingHits, total: number, revision: number): void {
    const w = this.windows.get(p.key);
    if (!w || w.start !== p.start) return;
    w.shared = Math.max(w.shared, total);
    w.revision = revision;
  }

  /** The hits could not be added (the store is down): they are kept for the next sync. */
  unsettled(p: PendingHits): void {
    const w = this.windows.get(p.key);
    if (!w || w.start !== p.start) return;
    w.pending += p.delta;
    this.dirty.add(p.key);
  }

  private wait(start: number, t: number): number {
    return Math.max(1, Math.ceil((start + WINDOW_MS - t) / 1000));
  }

  private prune(currentStart: number): void {
    for (const [k, w] of this.windows) if (w.start !== currentStart) this.windows.delete(k);
    // Still full: forget the least recently counted keys.
    for (const k of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}

/** Every limiter of a gateway, each under its own name, so one sync shares all their counts. */
export class RateLimiters {
  private readonly byName = new Map<string, RateLimiter>();

  constructor(private readonly now: () => number = Date.now) {}

  create(name: string, limitPerMinute: number): RateLimiter {
    // Two limiters under one name would add to each other's counters.
    if (this.byName.has(name)) throw new Error(`rate limiter ${name} exists already`);
    const limiter = new RateLimiter(limitPerMinute, this.now, undefined, name);
    this.byName.set(name, limiter);
    return limiter;
  }

  all(): RateLimiter[] {
    return [...this.byName.values()];
  }
}

export function windowStart(t: number): number {
  return t - (t % WINDOW_MS);
}

/**
 * Hits the whole cluster has made in the window, as far as this replica knows: at least its
 * own (the shared total may lag or be unreachable), else the shared total plus what this
 * replica has not added to it yet.
 */
function seen(w: Window): number {
  return Math.max(w.count, w.shared + w.pending);
}

export function rateLimit(limiter: RateLimiter, keyOf: (req: Request) => string | undefined, onLimited?: () => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = keyOf(req);
    const retryAfter = key ? limiter.hit(key) : 0;
    if (retryAfter > 0) {
      onLimited?.();
      res.set('Retry-After', String(retryAfter));
      return sendError(res, 429, 'rate_limited', `too many requests; retry in ${retryAfter} s`);
    }
    return next();
  };
}
