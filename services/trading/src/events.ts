import { publishEvent, type Logger } from '@tbot/common';
import type { JetStreamClient } from 'nats';

export const TRADING_STREAM = 'TRADING';
export const TRADING_SUBJECTS = ['trading.>'];

/**
 * trading.order.submitted|filled|rejected|failed and trading.signal.rejected, as JSON
 * with the trace context in the headers. Nats-Msg-Id (trade id + status) lets JetStream
 * drop a repeat. Publishing is best effort: the trade in MongoDB is the record.
 */
export class TradingEvents {
  constructor(
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
  ) {}

  emit(subject: string, msgId: string, body: Record<string, unknown>): void {
    void publishEvent(this.js, subject, Buffer.from(JSON.stringify(body)), msgId).catch((err: unknown) =>
      this.logger.warn({ err, subject, msg_id: msgId }, 'trading event not published'),
    );
  }
}
