import { z } from 'zod';
import { rateLimit } from '../../rate-limit';
import type { AuthedRequest } from '../../auth';
import { OPERATOR_ROLE } from '../api-router';
import { ApiError, defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { fromSubunits } from '../money';
import { iso, isoTime } from '../paging';
import { preconditionAs409, withFieldErrors } from '../rpc-fields';

export const subscriptionSchema = z.object({
  plan: z.string().meta({ description: 'plan id; "free" without a paid subscription' }),
  status: z.string().meta({ description: 'none | trialing | active | past_due | canceled | unpaid | paused | non_renewing | …' }),
  provider: z.string().meta({ description: 'stripe | paystack, or "" when the user never paid' }),
  currentPeriodStart: isoTime.optional(),
  currentPeriodEnd: isoTime.optional(),
  cancelAtPeriodEnd: z.boolean(),
  features: z.array(z.string()).meta({ description: 'what the user may use right now' }),
});

const planSchema = z.object({
  id: z.string(),
  name: z.string(),
  amount: z.number().meta({ description: 'price per interval in currency units (Paystack price; 0 when sold through Stripe only)' }),
  currency: z.string(),
  interval: z.string().meta({ description: 'month, or "<n> days"' }),
  features: z.array(z.string()),
  providers: z.array(z.enum(['stripe', 'paystack'])),
});

const meSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  operator: z.boolean(),
  subscription: subscriptionSchema,
  plans: z.array(planSchema).meta({ description: 'what can be bought' }),
});

const paymentSchema = z.object({
  provider: z.string(),
  providerPaymentId: z.string(),
  kind: z.string(),
  amount: z.number().meta({ description: 'currency units' }),
  currency: z.string(),
  status: z.string(),
  plan: z.string(),
  paidAt: isoTime.optional(),
});

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const checkoutBody = z.strictObject({
  provider: z.enum(['stripe', 'paystack']),
  plan: z.string().min(1).max(40),
  successUrl: httpUrl.optional(),
  cancelUrl: httpUrl.optional(),
});

type Timestamp = { seconds: bigint; nanos: number } | undefined;
type ProtoSubscription = {
  plan: string;
  status: string;
  provider: string;
  currentPeriodStart?: Timestamp;
  currentPeriodEnd?: Timestamp;
  cancelAtPeriodEnd: boolean;
  features: string[];
};

export function subscriptionOut(s: ProtoSubscription | undefined): z.input<typeof subscriptionSchema> {
  if (!s) return { plan: 'free', status: 'none', provider: '', cancelAtPeriodEnd: false, features: [] };
  return {
    plan: s.plan,
    status: s.status,
    provider: s.provider,
    currentPeriodStart: iso(s.currentPeriodStart),
    currentPeriodEnd: iso(s.currentPeriodEnd),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    features: s.features,
  };
}

const planName = (id: string) => id.charAt(0).toUpperCase() + id.slice(1).replace(/[-_]/g, ' ');
const interval = (days: number) => (days === 0 || (days >= 28 && days <= 31) ? 'month' : days === 365 || days === 366 ? 'year' : `${days} days`);

/** The signed-in trader: who, what they pay for, what they paid, and paying or stopping. */
export function meRoutes({ clients, config, limiters }: ApiDeps): ApiRoute[] {
  // As /api/payments/stripe/create-checkout: a client-chosen return URL elsewhere would let
  // anyone use our checkout to send a payer to their page.
  const allowedOrigins = new Set(
    [...config.ALLOWED_REDIRECT_ORIGINS, config.CHECKOUT_SUCCESS_URL, config.CHECKOUT_CANCEL_URL].flatMap((u) => (u ? [new URL(u).origin] : [])),
  );
  // Each checkout creates a provider session: the same per-user budget as the older routes.
  const perUser = limiters.create('api-checkout-user', config.USER_RATE_LIMIT_PER_MINUTE);
  const checkoutLimit = rateLimit(perUser, (req) => (req as AuthedRequest).userId);

  return [
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The signed-in user, their subscription and the plans for sale',
      tags: ['me'],
      auth: 'user',
      response: meSchema,
      handler: async ({ userId, roles }) => {
        const [user, { plans }] = await Promise.all([clients.billing.getUser({ userId }), clients.billing.listPlans({})]);
        return {
          userId,
          email: user.email,
          operator: roles.includes(OPERATOR_ROLE),
          subscription: subscriptionOut(user.subscription),
          plans: plans.map((p) => ({
            id: p.id,
            name: planName(p.id),
            amount: fromSubunits(p.amount, p.currency),
            currency: p.currency,
            interval: interval(p.intervalDays),
            features: p.features,
            providers: p.providers.filter((x): x is 'stripe' | 'paystack' => x === 'stripe' || x === 'paystack'),
          })),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/me/payments',
      summary: 'Payment history, newest first (the last 200)',
      tags: ['me'],
      auth: 'user',
      response: z.object({ payments: z.array(paymentSchema) }),
      handler: async ({ userId }) => {
        const { payments } = await clients.billing.listPayments({ userId });
        return {
          payments: payments.map((p) => ({
            provider: p.provider,
            providerPaymentId: p.providerPaymentId,
            kind: p.kind,
            amount: fromSubunits(p.amount, p.currency),
            currency: p.currency.toUpperCase(),
            status: p.status,
            plan: p.plan,
            paidAt: iso(p.paidAt),
          })),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/me/checkout',
      summary: 'Start paying for a plan: a Stripe Checkout session or a Paystack payment page',
      description:
        'Send the payer to `url`. successUrl/cancelUrl (Stripe) must be on an allowed origin (ALLOWED_REDIRECT_ORIGINS); without them CHECKOUT_SUCCESS_URL/CHECKOUT_CANCEL_URL apply. Paystack returns through the gateway\u2019s callback.',
      tags: ['me'],
      auth: 'user',
      before: [checkoutLimit],
      body: checkoutBody,
      response: z.object({ provider: z.enum(['stripe', 'paystack']), url: z.string() }),
      handler: async ({ userId, body }) => {
        if (body.provider === 'paystack') {
          const base = config.PUBLIC_BASE_URL;
          if (!base) throw new ApiError(503, 'not_configured', 'PUBLIC_BASE_URL is not set');
          const r = await withFieldErrors(
            clients.billing.initializePaystackPayment({ userId, plan: body.plan, callbackUrl: new URL('/api/payments/paystack/callback', base).toString() }),
          );
          return { provider: 'paystack' as const, url: r.authorizationUrl };
        }
        const fields: Record<string, string> = {};
        for (const field of ['successUrl', 'cancelUrl'] as const) {
          const value = body[field];
          if (value !== undefined && !allowedOrigins.has(new URL(value).origin)) fields[field] = `${new URL(value).origin} is not an allowed origin (ALLOWED_REDIRECT_ORIGINS)`;
        }
        if (Object.keys(fields).length > 0) throw new ApiError(400, 'invalid_request', 'redirect URL not allowed', fields);
        const successUrl = body.successUrl ?? config.CHECKOUT_SUCCESS_URL;
        const cancelUrl = body.cancelUrl ?? config.CHECKOUT_CANCEL_URL;
        if (!successUrl || !cancelUrl) {
          throw new ApiError(400, 'invalid_request', 'no default return URLs are configured', {
            ...(successUrl ? {} : { successUrl: 'is required' }),
            ...(cancelUrl ? {} : { cancelUrl: 'is required' }),
          });
        }
        const session = await withFieldErrors(clients.billing.createStripeCheckoutSession({ userId, plan: body.plan, successUrl, cancelUrl }));
        return { provider: 'stripe' as const, url: session.url };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/me/subscription/cancel',
      summary: 'Stop renewing: the subscription ends with the paid period',
      description: 'Stripe: cancel_at_period_end through its API; Paystack: subscription/disable. Idempotent. 409 no_subscription when nothing renews.',
      tags: ['me'],
      auth: 'user',
      response: subscriptionSchema,
      handler: async ({ userId }) => subscriptionOut(await clients.billing.cancelSubscription({ userId }).catch(preconditionAs409)),
    }),
  ];
}
