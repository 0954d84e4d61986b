/**
 * "Tell me when no TradingView alert arrived for N hours". Pure: when a user's silence
 * started, whether it has lasted long enough, and the key that names this silence, so
 * the notification goes out once per silence, and again only after alerts resumed and
 * stopped again (a new last alert is a new silence).
 */

export const MIN_SILENCE_HOURS = 1;
/** A week: a strategy quieter than that is not one this alert is for. */
export const MAX_SILENCE_HOURS = 168;

/** 0 (off) or a whole number of hours in 1..168; anything else is refused. */
export function validSilenceHours(hours: number): boolean {
  return hours === 0 || (Number.isInteger(hours) && hours >= MIN_SILENCE_HOURS && hours <= MAX_SILENCE_HOURS);
}

export interface SilenceInput {
  userId: string;
  hours: number;
  /** The newest alert outcome seen for the user; undefined when none since this service knew them. */
  lastAlertAt?: Date;
  /** When the user turned the setting on: a user who never sent an alert is silent from then. */
  enabledAt: Date;
  now: Date;
}

export type SilenceDecision =
  | { silent: false; /** When it would become silent, if nothing arrives. */ dueAt: Date }
  | { silent: true; since: Date; key: string };

/** The silence's identity: the user and when it started (the last alert, or when the setting was turned on). */
export const silenceKey = (userId: string, since: Date): string => `${userId}|${since.getTime()}`;

export function silenceOf(s: SilenceInput): SilenceDecision {
  // An alert from before the setting was turned on does not start the silence: the user
  // asked to hear about N hours from now on, not to be told at once about last week.
  const since = s.lastAlertAt && s.lastAlertAt > s.enabledAt ? s.lastAlertAt : s.enabledAt;
  const dueAt = new Date(since.getTime() + s.hours * 3_600_000);
  // `!(now < dueAt)` so that an invalid date is treated as silent rather than never checked.
  if (s.hours > 0 && !(s.now < dueAt)) return { silent: true, since, key: silenceKey(s.userId, since) };
  return { silent: false, dueAt };
}
