import type { NextFunction, Request, Response } from 'express';
import { sendError } from './http-errors';

/**
 * Fixed one-minute windows per key, in memory. Per replica: with N gateway replicas a
 * key gets up to N× the limit, which is fine for abuse protection (not for billing).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
    /** Most keys remembered: past it the least recently counted are forgotten (memory stays bounded). */
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until the key may try again, or 0 when this hit is allowed (and counted). */
  hit(key: string): number {
    const t = this.now();
    const start = t - (t % 60_000);
    const w = this.windows.get(key);
    if (!w || w.start !== start) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.prune(start);
      this.windows.set(key, { start, count: 1 });
      return 0;
    }
    // Re-inserted: the map's order is least recently counted first.
    this.windows.delete(key);
    this.windows.set(key, w);
    w.count += 1;
    return w.count > this.limitPerMinute ? this.wait(start, t) : 0;
  }

  /** Seconds until the key may try again (0: it may), without counting anything. */
  peek(key: string): number {
    const t = this.now();
    const start = t - (t % 60_000);
    const w = this.windows.get(key);
    return w && w.start === start && w.count >= this.limitPerMinute ? this.wait(start, t) : 0;
  }

  private wait(start: number, t: number): number {
    return Math.max(1, Math.ceil((start + 60_000 - t) / 1000));
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
