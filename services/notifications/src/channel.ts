/**
 * What the dispatcher hands a channel and what a channel answers. Every channel
 * (Telegram, email, outbound webhooks) implements `Channel`; the dispatcher owns the
 * delivery record, retries, preferences and exactly-once, so a channel only sends one
 * message to one destination and classifies the result.
 */

export type ChannelName = 'telegram' | 'email' | 'webhook';

/** One rendered notification, the same for every channel. */
export interface Notification {
  /** Id of the NATS event that caused it (Nats-Msg-Id); with channel and destination, the delivery key. */
  eventId: string;
  /** Event type, e.g. "order.filled", "payment.failed" (see the event catalogue). */
  type: string;
  userId: string;
  occurredAt: Date;
  /** One line, plain text (email subject, Telegram bold first line). */
  title: string;
  /** Plain-text body (email text part; Telegram escapes it for parse_mode HTML). */
  text: string;
  /** Structured payload: the event as JSON, sent as-is to outbound webhooks. */
  data: Record<string, unknown>;
  /** Deliver without sound where the channel can (Telegram disable_notification). */
  silent: boolean;
}

/** Where a channel sends: a Telegram chat id, an email address, or an endpoint id (the channel looks up URL and secret). */
export interface Destination {
  channel: ChannelName;
  /** chat id | email address | endpoint id */
  address: string;
}

export interface Attempt {
  /** Stable across attempts of one delivery (webhook-id for outbound webhooks, Message-ID seed for email). */
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Optional details every outcome may carry, kept in the delivery's attempt list. */
export interface OutcomeDetails {
  /** HTTP status (or SMTP reply code) the other end answered with, if any. */
  statusCode?: number;
}

export type DeliveryOutcome = (
  /** Accepted by the other end. */
  | { kind: 'delivered'; providerId?: string }
  /** Transient: try again, no earlier than `afterMs` if the other end said so (429 retry_after, Retry-After). */
  | { kind: 'retry'; reason: string; afterMs?: number }
  /** This message can never be delivered (e.g. 400 bad request); do not retry it. */
  | { kind: 'failed'; reason: string }
  /**
   * The destination itself is gone: unbind the chat / disable the endpoint (Telegram 403,
   * webhook 410). `movedTo` is a new address to use instead (Telegram migrate_to_chat_id):
   * the dispatcher rebinds and retries there.
   */
  | { kind: 'gone'; reason: string; movedTo?: string }
) &
  OutcomeDetails;

export interface Channel {
  readonly name: ChannelName;
  send(destination: Destination, notification: Notification, attempt: Attempt): Promise<DeliveryOutcome>;
  /** Releases pooled connections and timers (graceful shutdown). */
  close(): Promise<void>;
}
