import { grantedFeatures, isEntitled, type SubscriptionState } from '../src/entitlement';

const NOW = new Date('2025-06-15T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const FUTURE = new Date(NOW.getTime() + 10 * DAY);
const PAST = new Date(NOW.getTime() - 10 * DAY);

const FEATURES: Record<string, string[]> = {
  free: ['basic_alerts'],
  pro: ['tradingview_webhooks', 'auto_trading'],
  enterprise: ['tradingview_webhooks', 'auto_trading', 'priority_support'],
};
const planFeatures = (plan: string): string[] => FEATURES[plan] ?? [];

const stripeSub = (over: Partial<SubscriptionState> = {}): SubscriptionState => ({
  plan: 'pro',
  status: 'active',
  provider: 'stripe',
  providerSubscriptionId: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
  currentPeriodEnd: FUTURE,
  cancelAtPeriodEnd: false,
  ...over,
});

describe('isEntitled / grantedFeatures', () => {
  describe('active and trialing', () => {
    it.each(['active', 'trialing'])('%s grants the plan features before the period end', (status) => {
      const s = stripeSub({ status });
      expect(isEntitled(s, NOW)).toBe(true);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.pro);
    });

    it.each(['active', 'trialing'])('%s with a renewing subscription is not cut off by a stale period end', (status) => {
      // The renewal webhook may arrive after the old period end: a live subscription keeps its features.
      const s = stripeSub({ status, currentPeriodEnd: PAST });
      expect(isEntitled(s, NOW)).toBe(true);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.pro);
    });

    it('active with no period end at all still grants', () => {
      expect(isEntitled(stripeSub({ currentPeriodEnd: null }), NOW)).toBe(true);
      expect(isEntitled(stripeSub({ currentPeriodEnd: undefined }), NOW)).toBe(true);
    });

    it('grants the features of the plan named on the state', () => {
      expect(grantedFeatures(stripeSub({ plan: 'enterprise' }), planFeatures, NOW)).toEqual(FEATURES.enterprise);
    });

    it('a Paystack subscription (with a subscription code) is live like a Stripe one', () => {
      const s = stripeSub({ provider: 'paystack', providerSubscriptionId: 'SUB_vsyqdmlzble3uii', currentPeriodEnd: PAST });
      expect(isEntitled(s, NOW)).toBe(true);
    });
  });

  describe.each(['past_due', 'non_renewing'])('%s keeps features only until current_period_end', (status) => {
    it('grants before the end', () => {
      const s = stripeSub({ status, currentPeriodEnd: FUTURE });
      expect(isEntitled(s, NOW)).toBe(true);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.pro);
    });

    it('grants one millisecond before the end', () => {
      expect(isEntitled(stripeSub({ status, currentPeriodEnd: new Date(NOW.getTime() + 1) }), NOW)).toBe(true);
    });

    it('does not grant exactly at the end', () => {
      expect(isEntitled(stripeSub({ status, currentPeriodEnd: new Date(NOW.getTime()) }), NOW)).toBe(false);
    });

    it('does not grant after the end and falls back to free features', () => {
      const s = stripeSub({ status, currentPeriodEnd: PAST });
      expect(isEntitled(s, NOW)).toBe(false);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.free);
    });

    it('does not grant when there is no period end', () => {
      expect(isEntitled(stripeSub({ status, currentPeriodEnd: null }), NOW)).toBe(false);
      expect(isEntitled(stripeSub({ status, currentPeriodEnd: undefined }), NOW)).toBe(false);
    });

    it('is not granted past the end even if it is a Paystack subscription or not cancelling', () => {
      expect(
        isEntitled(
          stripeSub({ status, provider: 'paystack', providerSubscriptionId: 'SUB_x', cancelAtPeriodEnd: false, currentPeriodEnd: PAST }),
          NOW,
        ),
      ).toBe(false);
    });
  });

  describe('statuses that never grant', () => {
    it.each(['canceled', 'unpaid', 'incomplete', 'incomplete_expired', 'paused', 'none', '', 'ACTIVE', 'something_new'])(
      '%p grants nothing of the plan even inside the period',
      (status) => {
        const s = stripeSub({ status, currentPeriodEnd: FUTURE });
        expect(isEntitled(s, NOW)).toBe(false);
        expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.free);
        expect(grantedFeatures(s, planFeatures, NOW)).not.toContain('auto_trading');
      },
    );
  });

  describe('Paystack one-off payment (no subscription behind it)', () => {
    const oneOff = (over: Partial<SubscriptionState> = {}): SubscriptionState => ({
      plan: 'pro',
      status: 'active',
      provider: 'paystack',
      providerSubscriptionId: null,
      currentPeriodEnd: FUTURE,
      cancelAtPeriodEnd: false,
      ...over,
    });

    it('grants during the paid period', () => {
      expect(isEntitled(oneOff(), NOW)).toBe(true);
      expect(grantedFeatures(oneOff(), planFeatures, NOW)).toEqual(FEATURES.pro);
    });

    it.each([null, undefined, ''])('lapses at the period end (providerSubscriptionId = %p)', (providerSubscriptionId) => {
      const s = oneOff({ providerSubscriptionId, currentPeriodEnd: PAST });
      expect(isEntitled(s, NOW)).toBe(false);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.free);
    });

    it('lapses exactly at the period end', () => {
      expect(isEntitled(oneOff({ currentPeriodEnd: new Date(NOW.getTime()) }), NOW)).toBe(false);
    });

    it('a Stripe state without a subscription id is not treated as a Paystack one-off', () => {
      expect(isEntitled(oneOff({ provider: 'stripe', currentPeriodEnd: PAST }), NOW)).toBe(true);
    });
  });

  describe('cancelAtPeriodEnd', () => {
    it.each(['active', 'trialing'])('%s keeps features until the end', (status) => {
      expect(isEntitled(stripeSub({ status, cancelAtPeriodEnd: true, currentPeriodEnd: FUTURE }), NOW)).toBe(true);
    });

    it.each(['active', 'trialing'])('%s lapses at the end', (status) => {
      const s = stripeSub({ status, cancelAtPeriodEnd: true, currentPeriodEnd: PAST });
      expect(isEntitled(s, NOW)).toBe(false);
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.free);
      expect(isEntitled(stripeSub({ status, cancelAtPeriodEnd: true, currentPeriodEnd: new Date(NOW.getTime()) }), NOW)).toBe(false);
    });

    it('does not revive a canceled subscription', () => {
      expect(isEntitled(stripeSub({ status: 'canceled', cancelAtPeriodEnd: true, currentPeriodEnd: FUTURE }), NOW)).toBe(false);
    });
  });

  describe("plan 'free'", () => {
    it.each(['active', 'none', 'canceled', 'past_due', 'unpaid'])('gets the free features whatever the status (%s)', (status) => {
      const s: SubscriptionState = { plan: 'free', status, currentPeriodEnd: PAST };
      expect(grantedFeatures(s, planFeatures, NOW)).toEqual(FEATURES.free);
    });

    it('gets nothing when free lists no features', () => {
      const s: SubscriptionState = { plan: 'free', status: 'none' };
      expect(grantedFeatures(s, () => [], NOW)).toEqual([]);
    });

    it('asks only for the free plan features', () => {
      const asked: string[] = [];
      grantedFeatures({ plan: 'free', status: 'active' }, (p) => (asked.push(p), FEATURES[p] ?? []), NOW);
      expect(asked).toEqual(['free']);
    });

    it('a lapsed paid plan asks for the free plan features, not its own', () => {
      const asked: string[] = [];
      grantedFeatures(stripeSub({ status: 'canceled' }), (p) => (asked.push(p), FEATURES[p] ?? []), NOW);
      expect(asked).toEqual(['free']);
    });
  });
});
