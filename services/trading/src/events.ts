import { Outbox, type Logger } from '@tbot/common';
import type { Connection } from 'mongoose';
import type { JetStreamClient } from 'nats';

export const TRADING_STREAM = 'TRADING';
export const TRADING_SUBJECTS = ['trading.>'];

/**
 * trading.order.submitted|filled|rejected|failed and trading.signal.rejected, as JSON
 * with the trace context of the code that emitted them. Written to the `trading_outbox`
 * collection before they are published (the shared Outbox), so a NATS outage or a crash
 * delays an event but never loses it; Nats-Msg-Id (trade id + status) makes a repeat
 * publish harmless.
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

  emit(subject: string, msgId: string, body: Record<string, unknown>): void {
    this.outbox
      .emit([{ subject, msgId, data: JSON.stringify(body) }])
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
