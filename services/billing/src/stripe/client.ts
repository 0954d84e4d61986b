import Stripe from 'stripe';

/** stripe-node pointed at STRIPE_API_BASE when set (stripe-mock in tests), else api.stripe.com. */
export function createStripeClient(secretKey: string, apiBase: string | undefined, timeoutMs: number): Stripe {
  const base = apiBase ? new URL(apiBase) : undefined;
  return new Stripe(secretKey, {
    timeout: timeoutMs,
    maxNetworkRetries: 2,
    appInfo: { name: 'tbot-billing' },
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'http:' ? 80 : 443),
          protocol: base.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  });
}
