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
  ) {}

  /** Seconds until the key may try again, or 0 when this hit is allowed. */
  hit(key: string): number {
    const t = this.now();
    const start = t - (t % 60_000);
    const w = this.windows.get(key);
    if (!w || w.start !== start) {
      if (this.windows.size > 100_000) this.prune(start);
      this.windows.set(key, { start, count: 1 });
      return 0;
    }
    w.count += 1;
    return w.count > this.limitPerMinute ? Math.ceil((start + 60_000 - t) / 1000) : 0;
  }

  private prune(currentStart: number): void {
    for (const [k, w] of this.windows) if (w.start !== currentStart) this.windows.delete(k);
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
