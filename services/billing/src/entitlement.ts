/** What decides whether a plan's features are on, as stored on the user. */
export interface SubscriptionState {
  plan: string;
  status: string;
  provider?: string | null;
  providerSubscriptionId?: string | null;
  currentPeriodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean | null;
}

/** Statuses under which the plan's features are granted outright. */
const LIVE = new Set(['active', 'trialing']);
/** Statuses that keep features only until the paid period ends. */
const UNTIL_PERIOD_END = new Set(['past_due', 'non_renewing']);

/**
 * Features are granted while the subscription is active or trialing, and while it is
 * past_due (or will not renew) until current_period_end; never otherwise. A Paystack
 * payment with no subscription behind it buys exactly one period, so it lapses at its end.
 */
export function isEntitled(s: SubscriptionState, now: Date): boolean {
  const end = s.currentPeriodEnd ?? undefined;
  const beforeEnd = end !== undefined && now.getTime() < end.getTime();
  if (UNTIL_PERIOD_END.has(s.status)) return beforeEnd;
  if (!LIVE.has(s.status)) return false;
  const oneOffPayment = s.provider === 'paystack' && !s.providerSubscriptionId;
  // A one-off payment without a known end bought nothing we can measure: no access.
  if (oneOffPayment) return beforeEnd;
  if (s.cancelAtPeriodEnd) return end === undefined || beforeEnd;
  return true;
}

export function grantedFeatures(
  s: SubscriptionState,
  planFeatures: (plan: string) => string[],
  now: Date,
): string[] {
  // "free" may list features of its own; they never depend on a payment.
  if (s.plan === 'free') return planFeatures('free');
  return isEntitled(s, now) ? planFeatures(s.plan) : planFeatures('free');
}
