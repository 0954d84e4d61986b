import { createHmac, randomBytes } from 'node:crypto';
import type { Stack } from '../stack';
import { waitFor } from '../tools';
import { TEST_SECRETS } from './billing-harness';
import { stackBillingClient, stackTradingClient } from './service-clients';

/** A Stripe-Signature header for `body`, signed with the harness's first webhook secret. */
export function signStripe(body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', TEST_SECRETS.stripeWebhookSecrets[0]!).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * TradingView's X-Signature as a client sends it: sha256=<hex HMAC-SHA256 of the raw body>,
 * keyed with the signing key RotateWebhookSecret returned (its text as given).
 */
export function signAlert(body: string | Buffer, signingKey: string): string {
  return `sha256=${createHmac('sha256', signingKey).update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).digest('hex')}`;
}

/**
 * A new user put on plan pro the way production does it (a signed Stripe
 * customer.subscription.created through the gateway), with a TradingView secret and signing key.
 */
export async function createProTrader(stack: Stack, label = 'trader'): Promise<{ id: string; secret: string; signingKey: string }> {
  const billing = stackBillingClient(stack);
  const trading = stackTradingClient(stack);
  const unique = `${Date.now()}${randomBytes(4).toString('hex')}`;
  const user = await billing.createUser({ email: `${label}-${unique}@example.com` });
  const body = JSON.stringify({
    id: `evt_${label.replace(/\W/g, '')}_${unique}`,
    type: 'customer.subscription.created',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `sub_${unique}`, status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
  });
  const res = await fetch(`${stack.gatewayUrl}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signStripe(body) }, body });
  if (res.status !== 200) throw new Error(`subscribing ${user.id} to pro answered ${res.status}`);
  // The gateway answers once the event is stored; billing applies it afterwards. Until it
  // has, an alert would be refused as not_entitled (seen on a loaded machine).
  await waitFor(`billing to put ${user.id} on pro`, async () => {
    const { subscription } = await billing.getUser({ userId: user.id });
    return subscription?.features.includes('auto_trading') ?? false;
  }, 20_000, 50);
  const { secret, signingKey } = await trading.rotateWebhookSecret({ userId: user.id });
  return { id: user.id, secret, signingKey };
}
