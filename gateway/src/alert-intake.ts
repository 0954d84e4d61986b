import { randomUUID } from 'node:crypto';
import { decodeAlertAnswer, newInbox, publishAlert, type SubmitSignalRequest, type SubmitSignalResponse } from '@tbot/common';
import type { JetStreamClient, NatsConnection, Subscription } from 'nats';
import { startedPerTurn } from './publish-per-turn';

export type AlertRequest = Omit<SubmitSignalRequest, '$typeName'>;

/** JetStream did not store the alert: nothing reached the trading service, a resend is safe. */
export class AlertNotStoredError extends Error {}

export interface AlertIntake {
  /**
   * Stores the alert in the ALERTS stream, then waits up to `waitMs` for the trading
   * service's answer. Undefined: stored, not answered yet (it executes afterwards).
   */
  submit(request: AlertRequest, waitMs: number): Promise<SubmitSignalResponse | undefined>;
  close(): void;
}

/**
 * The gateway's side of the durable alert intake (services/common/src/alert-stream.ts):
 * one subscription on this replica's private inbox receives every answer, each alert names
 * its own subject under it. The answer is awaited only after JetStream has the alert, but
 * listened for before it is published, so a fast answer is never missed. During a burst
 * alerts are answered 202 as soon as they are stored.
 */
/**
 * How long after a burst's release stored alerts are answered at once: long enough to cover
 * the burst's stragglers (their connections arrive over a second or two on a busy host),
 * short enough that single alerts soon get their outcome (a refusal's 4xx) again. A single
 * slow alert does not start it: its sender would lose the outcome of the next ones.
 */
const BEHIND_HOLD_MS = 5_000;

export function createAlertIntake(
  nc: NatsConnection,
  js: JetStreamClient,
  opts: { publishTimeoutMs: number; maxWaiting: number },
): AlertIntake {
  const inbox = newInbox(nc);
  const waiting = new Map<string, (answer: SubmitSignalResponse | undefined) => void>();
  let next = 0;
  /** Until then a burst is being taken in: stored alerts are answered at once. */
  let behindUntil = 0;
  const sub: Subscription = nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      if (err) return;
      const resolve = waiting.get(msg.subject);
      if (!resolve) return; // answered after the caller stopped waiting
      try {
        resolve(decodeAlertAnswer(msg.data));
      } catch {
        // Not an answer we can read: the caller's wait ends as "accepted".
      }
    },
  });
  // Alerts of one event-loop turn leave in one socket write (see publish-per-turn.ts).
  const publish = startedPerTurn((m: { request: AlertRequest; replyTo: string }) =>
    publishAlert(js, m.request, { msgId: randomUUID(), replyTo: m.replyTo, timeoutMs: opts.publishTimeoutMs }),
  );

  return {
    async submit(request, waitMs) {
      const replyTo = `${inbox}.${(next++).toString(36)}`;
      let timer: NodeJS.Timeout | undefined;
      const answer = new Promise<SubmitSignalResponse | undefined>((resolve) => {
        waiting.set(replyTo, resolve);
        timer = setTimeout(() => resolve(undefined), Math.max(0, waitMs));
      });
      try {
        try {
          await publish({ request, replyTo });
        } catch (err) {
          throw new AlertNotStoredError((err as Error).message);
        }
        if (waiting.size > opts.maxWaiting) {
          // A burst (a candle close): the trading service has a backlog and most of these
          // would only get their 202 at the deadline, late for TradingView's 3 s on a busy
          // host. Every one waiting is stored, so all are answered 202 now, and so are the
          // burst's stragglers for a while; single alerts still get their outcome.
          behindUntil = Date.now() + BEHIND_HOLD_MS;
          for (const resolve of waiting.values()) resolve(undefined);
        } else if (Date.now() < behindUntil) {
          return undefined;
        }
        return await answer;
      } finally {
        clearTimeout(timer);
        waiting.delete(replyTo);
      }
    },
    close() {
      sub.unsubscribe();
    },
  };
}
