import { fromJson, toJsonString, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { ExchangeKeysRejectedEventSchema, OrderEventSchema, Outbox, PositionMismatchEventSchema, RiskLimitReachedEventSchema, SignalRejectedEventSchema, type Logger } from '@tbot/common';
import type { Connection } from 'mongoose';
import type { JetStreamClient } from 'nats';

export const TRADING_STREAM = 'TRADING';
export const TRADING_SUBJECTS = ['trading.>'];

/** Every subject trading publishes, with its schema (proto/trading/v1/events.proto). */
export const TRADING_EVENT_SCHEMAS = {
  'trading.order.submitted': OrderEventSchema,
  'trading.order.filled': OrderEventSchema,
  'trading.order.rejected': OrderEventSchema,
  'trading.order.failed': OrderEventSchema,
  'trading.signal.rejected': SignalRejectedEventSchema,
  'trading.position.mismatch': PositionMismatchEventSchema,
  'trading.risk.limit_reached': RiskLimitReachedEventSchema,
  'trading.exchange.keys_rejected': ExchangeKeysRejectedEventSchema,
} as const satisfies Record<string, DescMessage>;

export type TradingSubject = keyof typeof TRADING_EVENT_SCHEMAS;

/**
 * The body as published: read through the subject's proto schema (an unknown or mistyped
 * field throws, so a body that drifts from the schema fails the tests, not a consumer),
 * then written as protobuf JSON with the proto field names and every field present
 * (consumers need not know proto3's "a zero is left out").
 */
export function encodeTradingEvent(subject: TradingSubject, body: Record<string, unknown>): string {
  const schema: DescMessage = TRADING_EVENT_SCHEMAS[subject];
  // JSON round trip: drops `undefined` (absent), turns Dates into RFC 3339 strings.
  const json = JSON.parse(JSON.stringify(body)) as JsonValue;
  return toJsonString(schema, fromJson(schema, json), { useProtoFieldName: true, alwaysEmitImplicit: true });
}

/**
 * trading.order.submitted|filled|rejected|failed, trading.signal.rejected,
 * trading.position.mismatch, trading.risk.limit_reached and trading.exchange.keys_rejected, as protobuf JSON with the trace context of the code that
 * emitted them. Written to the `trading_outbox` collection before they are published (the
 * shared Outbox), so a NATS outage or a crash delays an event but never loses it;
 * Nats-Msg-Id (trade id + status) makes a repeat publish harmless.
 */
export class TradingEvents {
  private readonly outbox: Outbox;

  constructor(
    conn: Connection,
    js: JetStreamClient,
    private readonly logger: Logger,
  ) {
    this.outbox = new Outbox(conn, 'trading_outbox', js, logger);
  }

  init(): Promise<void> {
    return this.outbox.init();
  }

  /** Throws (synchronously) only on a body that does not fit the subject's schema: a bug, not an outage. */
  emit(subject: TradingSubject, msgId: string, body: Record<string, unknown>): void {
    const data = encodeTradingEvent(subject, body);
    this.outbox
      .emit([{ subject, msgId, data }])
      .catch((err: unknown) => this.logger.error({ err, subject, msg_id: msgId }, 'trading event could not be stored'));
  }

  sweep(olderThanMs?: number): Promise<number> {
    return this.outbox.sweep(olderThanMs);
  }

  start(intervalMs: number): void {
    this.outbox.start(intervalMs, 'trading outbox relay');
  }

  stop(): Promise<void> {
    return this.outbox.stop();
  }
}
