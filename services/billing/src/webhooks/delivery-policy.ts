/**
 * What to do with a delivered webhook once billing tried to apply it. Pure, so every rule
 * is tested alone (test/delivery-policy.test.ts).
 */
export interface DeliveryPolicy {
  /** Deliveries after which an event that keeps failing is dead-lettered (WEBHOOK_MAX_DELIVER). */
  maxDeliver: number;
  /** How long an event without a known user is re-tried before it is parked (UNMATCHED_RETRY_MINUTES). */
  unmatchedRetryMs: number;
}

export type Attempt =
  | { kind: 'done' }
  /** Applied nothing because no user matches (yet). */
  | { kind: 'unmatched' }
  /**
   * Another delivery of the same event holds its ledger claim (a replica applying it, or
   * one that died: its lease expires). Not finished, so not acked; not a failure either.
   */
  | { kind: 'in_progress' }
  /** The database or NATS could not be reached: the event is fine, the infrastructure is not. */
  | { kind: 'unavailable' }
  | { kind: 'failed' }
  /** Not an event we can ever read: retrying cannot help. */
  | { kind: 'invalid' };

export type Decision =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number }
  | { action: 'dead_letter' };

/** Backoff of a failing event: 1 s, 2 s, 4 s … capped at 60 s (the 8th try comes ~2 min after the first). */
export function failureDelayMs(deliveryCount: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));
}

/** Unmatched events are re-tried soon (the link usually arrives seconds later), then every 5 min. */
const UNMATCHED_DELAYS_MS = [5_000, 30_000, 120_000, 300_000];
export function unmatchedDelayMs(deliveryCount: number): number {
  return UNMATCHED_DELAYS_MS[Math.min(deliveryCount - 1, UNMATCHED_DELAYS_MS.length - 1)] ?? 300_000;
}

/** How soon to look again at an event another delivery is applying (a dead replica's lease lasts a minute). */
export const IN_PROGRESS_DELAY_MS = 10_000;

/** While an event is younger than this it may still find its user by waiting. */
export const mayWaitForUser = (ageMs: number, policy: DeliveryPolicy) => ageMs < policy.unmatchedRetryMs;

export function decide(attempt: Attempt, deliveryCount: number, policy: DeliveryPolicy): Decision {
  switch (attempt.kind) {
    case 'done':
      return { action: 'ack' };
    case 'unmatched':
      return { action: 'retry', delayMs: unmatchedDelayMs(deliveryCount) };
    case 'in_progress':
      return { action: 'retry', delayMs: IN_PROGRESS_DELAY_MS };
    case 'unavailable':
      // An outage is not the event's fault: never dead-letter for it, keep trying.
      return { action: 'retry', delayMs: failureDelayMs(Math.min(deliveryCount, 4)) };
    case 'invalid':
      return { action: 'dead_letter' };
    case 'failed':
      return deliveryCount >= policy.maxDeliver ? { action: 'dead_letter' } : { action: 'retry', delayMs: failureDelayMs(deliveryCount) };
  }
}
