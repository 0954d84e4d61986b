/**
 * De-duplication of TradingView signals and the idempotent client order ids derived from them.
 *
 * TradingView resends an alert (byte for byte) when our endpoint answers 5xx or is slow, and a
 * user may have two alerts firing the same message. The dedupe key must be the same for all
 * copies of one signal and differ between signals; the order id derived from it makes OKX
 * itself refuse a second order for the same signal (error 51016) if our own check races.
 */
import { createHash } from 'node:crypto';
import type { PartialAlert } from './alert';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * user + (alert.id, or timestamp + symbol + action + strategy); without either, a hash of the raw body within the minute it was received.
 *
 * The key is a hash of a JSON array, which keeps fields from running into each other
 * ("ab"+"c" vs "a"+"bc") and keeps the alert's content, including the secret inside the raw
 * body, out of wherever keys are stored or logged. The prefix says which rule produced it.
 *
 * With a strategy (its own webhook URL), the strategy id is part of every key: two strategies
 * receiving identical bodies are two signals, while a resend to the same URL stays one. Without
 * one (the per-user URL) the key is exactly what it was before strategies, so a resend that
 * straddles an upgrade is still recognised. The key is made of the message as received, not of
 * the strategy's defaults: editing a strategy between an alert and TradingView's resend of it
 * must not turn the resend into a new signal.
 * `command` is the command's place in a message holding several (a two-line flip): each
 * command is a signal of its own, de-duplicated on its own. The first keeps the key a
 * one-command message always had.
 *
 * Caveats: an explicit id must be unique per signal (TradingView's {{strategy.order.id}} is the
 * entry's name, e.g. "Long", and repeats on every trade); and the raw-body fallback can let a
 * resend through when it lands in the next minute.
 */
export function signalDedupeKey(userId: string, alert: PartialAlert, rawBody: string, receivedAt: Date, strategyId = '', command = 0): string {
  if (!Number.isSafeInteger(command) || command < 0) throw new Error(`command must be a non-negative integer, got ${command}`);
  // Spliced in only when there is a strategy, so per-user keys keep their old shape.
  const scope = strategyId === '' ? [userId] : [userId, { strategy: strategyId }];
  const nth = command > 0 ? [command] : [];
  if (alert.id !== undefined && alert.id !== '') {
    return `id_${sha256(JSON.stringify(['id', ...scope, alert.id, ...nth]))}`;
  }
  if (alert.timestamp !== undefined && !Number.isNaN(alert.timestamp.getTime())) {
    // closeSide is part of the action: close_long and close_short in the same second are two signals.
    const action = alert.action === 'close' ? `close:${alert.closeSide ?? 'both'}` : (alert.action ?? '');
    return `ts_${sha256(
      JSON.stringify(['ts', ...scope, alert.timestamp.getTime(), (alert.symbol ?? '').toUpperCase(), action, alert.strategy ?? '', ...nth])
    )}`;
  }
  const minute = Math.floor(receivedAt.getTime() / 60_000);
  if (!Number.isFinite(minute)) throw new Error('receivedAt is not a valid date');
  return `body_${sha256(JSON.stringify(['body', ...scope, minute, sha256(rawBody), ...nth]))}`;
}

/** OKX clOrdId: 1–32 alphanumerics, derived deterministically from the dedupe key and the leg (0 = main order, 1 = closing the opposite position first). */
export function clientOrderId(dedupeKey: string, leg = 0): string {
  if (typeof dedupeKey !== 'string' || dedupeKey === '') throw new Error('dedupe key is empty');
  if (!Number.isSafeInteger(leg) || leg < 0) throw new Error(`leg must be a non-negative integer, got ${leg}`);
  // Starts with a letter: OKX accepts all-digit ids, but other tools treat those as numbers and
  // lose precision. 31 hex characters are 124 bits, plenty to never collide between signals.
  return `t${sha256(JSON.stringify([dedupeKey, leg])).slice(0, 31)}`;
}
