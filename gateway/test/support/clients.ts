import { Outcome } from '@tbot/common';
import type { Stack } from '@tbot/local-stack';
import { stackBillingClient, stackTradingClient, TEST_SECRETS } from '@tbot/local-stack/dist/testing';
import jwt from 'jsonwebtoken';
import { signStripePayload } from '../../src/webhook-signatures/stripe';
import { signPaystackPayload } from '../../src/webhook-signatures/paystack';

type BillingAt = Pick<Stack, 'billingUrl' | 'serviceTokenSecret'>;

/** Billing as the gateway calls it (with the stack's service token). */
export function billingClient(stack: BillingAt) {
  return stackBillingClient(stack, { timeoutMs: 5000 });
}

/** Trading as the gateway calls it (with the stack's service token). */
export function tradingClient(stack: Pick<Stack, 'tradingUrl' | 'serviceTokenSecret'>) {
  return stackTradingClient(stack, { timeoutMs: 10_000 });
}

/** POSTs an alert as TradingView does: the message as the body, no headers of its own. */
export async function postAlert(
  gatewayUrl: string,
  userId: string,
  body: unknown,
  opts: { contentType?: string; path?: 'query' | 'path'; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const url =
    opts.path === 'path' ? `${gatewayUrl}/api/tradingview/webhook/${userId}` : `${gatewayUrl}/api/tradingview/webhook?user_id=${userId}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': opts.contentType ?? 'application/json; charset=utf-8', ...opts.headers },
    body: raw,
  });
  return answer(res);
}

/** The audience tests' gateways may require (AUTH_JWT_AUDIENCE); ignored where it is not set. */
export const TEST_AUDIENCE = 'tradingbot-api';

export function bearer(userId: string, secret = TEST_SECRETS.jwtSecret, expiresIn = 300, claims: object = {}): string {
  return `Bearer ${jwt.sign({ sub: userId, ...claims }, secret, { algorithm: 'HS256', expiresIn, audience: TEST_AUDIENCE })}`;
}

/** Calls /api/v1 as a signed-in user (`auth: null` sends no token). */
export async function api(
  gatewayUrl: string,
  method: string,
  path: string,
  opts: { userId?: string; body?: unknown; auth?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? (opts.userId ? bearer(opts.userId) : undefined) : opts.auth;
  if (auth) headers.authorization = auth;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${gatewayUrl}/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  return answer(res);
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** POSTs a Stripe event signed as Stripe signs it (secret index 0 unless told). */
export async function postStripe(
  gatewayUrl: string,
  event: unknown,
  opts: { secret?: string; timestamp?: number; header?: string | null; raw?: string } = {},
): Promise<Answer> {
  const raw = opts.raw ?? JSON.stringify(event);
  const header =
    opts.header === null
      ? undefined
      : (opts.header ?? signStripePayload(raw, opts.secret ?? TEST_SECRETS.stripeWebhookSecrets[0]!, opts.timestamp));
  const res = await fetch(`${gatewayUrl}/api/payments/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(header ? { 'stripe-signature': header } : {}) },
    body: raw,
  });
  return answer(res);
}

/** POSTs a Paystack event with x-paystack-signature as Paystack computes it. */
export async function postPaystack(
  gatewayUrl: string,
  event: unknown,
  opts: { key?: string; header?: string | null; raw?: string } = {},
): Promise<Answer> {
  const raw = opts.raw ?? JSON.stringify(event);
  const header = opts.header === null ? undefined : (opts.header ?? signPaystackPayload(raw, opts.key ?? TEST_SECRETS.paystackSecretKey));
  const res = await fetch(`${gatewayUrl}/api/payments/paystack/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header ? { 'x-paystack-signature': header } : {}) },
    body: raw,
  });
  return answer(res);
}

export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  return answer(await fetch(url, { redirect: 'manual', ...init }));
}

/** The ledger's outcome of an event, once billing has finished with it (polls GetWebhookEvent). */
export async function outcomeOf(stack: BillingAt, eventKey: string, timeoutMs = 20_000): Promise<string> {
  const billing = billingClient(stack);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Billing may be starting: keep asking until the deadline.
    const e = await billing.getWebhookEvent({ eventKey }).catch((err: unknown) => {
      if (Date.now() > deadline) throw err;
      return { state: 'unreachable', outcome: Outcome.UNSPECIFIED };
    });
    if (e.state === 'dead_letter') return 'dead_letter';
    if (e.state === 'done' || e.state === 'unmatched') return Outcome[e.outcome]!.toLowerCase();
    if (Date.now() > deadline) throw new Error(`event ${eventKey} not applied within ${timeoutMs} ms (state ${e.state})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Webhooks as the providers send them, each followed until billing has applied it: the
 * gateway answers once the event is stored; the outcome is the ledger's.
 */
export function webhooks(stack: BillingAt & { gatewayUrl: string }) {
  const follow = async (answer: Answer): Promise<string> => {
    if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return outcomeOf(stack, answer.body.event_id as string);
  };
  return {
    stripe: async (event: unknown, opts?: Parameters<typeof postStripe>[2]) => follow(await postStripe(stack.gatewayUrl, event, opts)),
    paystack: async (event: unknown, opts?: Parameters<typeof postPaystack>[2]) => follow(await postPaystack(stack.gatewayUrl, event, opts)),
  };
}
