/**
 * When a delivery that did not go through is tried again. Exponential (×4 per attempt from
 * `baseMs`, capped at `maxDelayMs`) with ±20 % jitter so that many deliveries failing
 * together (a receiver's outage) do not come back in one wave; an answer's own
 * Retry-After / retry_after is honoured as a minimum. With the defaults (10 s base, 12 h
 * cap, 72 h) the attempts come at about 10 s, 40 s, 3 min, 11 min, 43 min, 3 h, 11 h, then
 * every 12 h: about 3 days, like Stripe's and Svix's schedules.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxDelayMs: number;
  /** No attempt is scheduled later than this after the delivery was created. */
  giveUpAfterMs: number;
}

export type RetryPlan = { retry: true; delayMs: number } | { retry: false };

/** `attempts`: attempts made so far (≥ 1); `random` in [0, 1) (tests pass a fixed one). */
export function nextRetry(
  policy: BackoffPolicy,
  attempts: number,
  ageMs: number,
  opts: { afterMs?: number; random?: number } = {},
): RetryPlan {
  const exp = Math.min(policy.baseMs * 4 ** Math.max(0, attempts - 1), policy.maxDelayMs);
  const jitter = 0.8 + 0.4 * (opts.random ?? Math.random());
  const delayMs = Math.max(Math.round(exp * jitter), opts.afterMs ?? 0);
  if (ageMs + delayMs > policy.giveUpAfterMs) return { retry: false };
  return { retry: true, delayMs };
}
