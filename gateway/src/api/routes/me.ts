import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime } from '../paging';
import { OPERATOR_ROLE } from '../api-router';

export const subscriptionSchema = z.object({
  plan: z.string().meta({ description: 'plan id; "free" without a paid subscription' }),
  status: z.string().meta({ description: 'none | trialing | active | past_due | canceled | unpaid | paused | non_renewing | …' }),
  provider: z.string().meta({ description: 'stripe | paystack, or "" when the user never paid' }),
  currentPeriodStart: isoTime.optional(),
  currentPeriodEnd: isoTime.optional(),
  cancelAtPeriodEnd: z.boolean(),
  features: z.array(z.string()).meta({ description: 'what the user may use right now' }),
});

const meSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  operator: z.boolean(),
  subscription: subscriptionSchema,
});

type ProtoSubscription = {
  plan: string;
  status: string;
  provider: string;
  currentPeriodStart?: { seconds: bigint; nanos: number } | undefined;
  currentPeriodEnd?: { seconds: bigint; nanos: number } | undefined;
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

/** The signed-in trader: who, and what they pay for. */
export function meRoutes({ clients }: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The signed-in user and their subscription',
      tags: ['me'],
      auth: 'user',
      response: meSchema,
      handler: async ({ userId, roles }) => {
        const user = await clients.billing.getUser({ userId });
        return { userId, email: user.email, operator: roles.includes(OPERATOR_ROLE), subscription: subscriptionOut(user.subscription) };
      },
    }),
  ];
}
