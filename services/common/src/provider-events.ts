/** The provider event types billing acts on; the gateway labels metrics with them. */
export const STRIPE_EVENT_TYPES = [
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'payment_intent.succeeded',
] as const;

export const PAYSTACK_EVENT_TYPES = [
  'charge.success',
  'subscription.create',
  'subscription.disable',
  'subscription.not_renew',
  'invoice.create',
  'invoice.update',
  'invoice.payment_failed',
] as const;

/** Event types are metric labels only when we act on them, so a sender cannot blow up cardinality. */
export function webhookTypeLabel(provider: string, type: string | undefined): string {
  const known: readonly string[] = provider === 'stripe' ? STRIPE_EVENT_TYPES : provider === 'paystack' ? PAYSTACK_EVENT_TYPES : [];
  return type && known.includes(type) ? type : 'other';
}
