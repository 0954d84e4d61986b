import { createHash } from 'node:crypto';
import type { JetStreamClient, NatsConnection } from 'nats';
import { ensureStream, publishEvent } from './nats';

/**
 * The durable inbox of provider webhooks. The gateway publishes each verified body here
 * and answers the provider once JetStream has stored it; billing applies it later. The
 * gateway and billing must agree on everything in this file, so it lives in one place.
 */
export const WEBHOOK_STREAM = 'WEBHOOKS';
export const WEBHOOK_SUBJECTS = ['webhooks.>'];
/** Durable consumer billing applies webhooks through. */
export const WEBHOOK_CONSUMER = 'billing-webhooks';
/** Header carrying the ledger key, so operators can find a message without parsing it. */
export const EVENT_KEY_HEADER = 'Webhook-Event-Key';

export type WebhookProvider = 'stripe' | 'paystack';
export const WEBHOOK_PROVIDERS: readonly WebhookProvider[] = ['stripe', 'paystack'];

/**
 * Dead letters are announced outside the WEBHOOKS stream's subjects, so no consumer of
 * `webhooks.>` mistakes one for an event.
 */
export const deadLetterSubject = (provider: string) => `deadletters.webhooks.${provider}`;

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** `webhooks.<provider>.<event type>`; a type that is not a safe subject becomes `unknown`. */
export function webhookSubject(provider: WebhookProvider, type: string): string {
  const tokens = type.split('.');
  const safe = type.length <= 100 && tokens.every((t) => TOKEN.test(t));
  return `webhooks.${provider}.${safe ? type : 'unknown'}`;
}

/** The provider a `webhooks.<provider>.…` subject belongs to, if it is one of ours. */
export function providerOfSubject(subject: string): WebhookProvider | undefined {
  const p = subject.split('.')[1];
  return WEBHOOK_PROVIDERS.find((x) => x === p);
}

export async function ensureWebhookStream(nc: NatsConnection, retentionHours: number): Promise<void> {
  await ensureStream(nc, WEBHOOK_STREAM, WEBHOOK_SUBJECTS, { maxAgeMs: retentionHours * 3_600_000 });
}

export interface WebhookMessage {
  provider: WebhookProvider;
  type: string;
  /** Ledger key: `<provider>:<event key>`; also the Nats-Msg-Id of the first publish. */
  eventKey: string;
  raw: Uint8Array;
}

/**
 * Stores one webhook in the stream and resolves once JetStream has acknowledged it.
 * `msgId` defaults to the event key (JetStream drops a resend within its duplicate
 * window); a replay passes a fresh one so the message is stored again and the ledger
 * decides whether it changes anything.
 */
export function publishWebhook(
  js: JetStreamClient,
  m: WebhookMessage,
  opts: { timeoutMs: number; msgId?: string },
): Promise<{ duplicate: boolean; seq: number }> {
  return publishEvent(js, webhookSubject(m.provider, m.type), m.raw, opts.msgId ?? m.eventKey, {
    timeoutMs: opts.timeoutMs,
    headers: { [EVENT_KEY_HEADER]: m.eventKey },
  });
}

/** Stripe events carry their own id. */
export const stripeEventKey = (id: string) => `stripe:${id}`;

/** The ledger key of a Paystack charge, shared by the webhook and the callback's verification. */
export const paystackChargeKey = (reference: string) => `paystack:charge:${reference}`;

/**
 * Paystack sends no event id: the key is the event plus the id of what it is about. An
 * event with none of those (e.g. subscription.expiring_cards, whose data is a list) is
 * keyed by a hash of its body, so an identical resend is still recognised.
 */
export function paystackEventKey(event: { event: string; data: unknown }, raw: Uint8Array): string {
  const d = (event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? event.data : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  if (event.event === 'charge.success') {
    const ref = s(d.reference);
    if (ref) return paystackChargeKey(ref);
  } else if (event.event.startsWith('invoice.')) {
    const code = s(d.invoice_code);
    // invoice.update is sent again as an invoice moves (pending → success): each state once.
    if (code) return `paystack:${event.event}:${code}:${s(d.status) ?? ''}:${d.paid === true || d.paid === 1 ? 'paid' : 'unpaid'}`;
  } else if (event.event.startsWith('subscription.')) {
    const code = s(d.subscription_code);
    if (code) return `paystack:${event.event}:${code}`;
  } else {
    const id = s(d.id) ?? s(d.reference);
    if (id) return `paystack:${event.event}:${id}`;
  }
  return `paystack:${event.event}:sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
}
