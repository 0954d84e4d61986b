import { context, propagation } from '@opentelemetry/api';
import { every, publishEvent, type Logger, type Periodic } from '@tbot/common';
import { Schema, type Connection, type Model } from 'mongoose';
import type { JetStreamClient } from 'nats';

export const TRADING_STREAM = 'TRADING';
export const TRADING_SUBJECTS = ['trading.>'];

interface PendingEvent {
  _id: string; // Nats-Msg-Id
  subject: string;
  data: string;
  /** W3C trace context of the code that emitted it, so a late publish joins the same trace. */
  trace: Record<string, string>;
  createdAt: Date;
}

const pendingSchema = new Schema<PendingEvent>(
  {
    _id: { type: String, required: true },
    subject: { type: String, required: true },
    data: { type: String, required: true },
    trace: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'trading_outbox' },
);
pendingSchema.index({ createdAt: 1 });

/**
 * trading.order.submitted|filled|rejected|failed and trading.signal.rejected, as JSON
 * with the trace context in the headers. Each event is written to an outbox collection
 * before it is published and removed once JetStream has it; a relay publishes what a
 * NATS outage (or a crash) left behind. Nats-Msg-Id (trade id + status) makes a repeat
 * publish harmless.
 */
export class TradingEvents {
  private readonly pending: Model<PendingEvent>;
  private relay?: Periodic;

  constructor(
    conn: Connection,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
  ) {
    this.pending = conn.model<PendingEvent>('TradingOutbox', pendingSchema);
  }

  emit(subject: string, msgId: string, body: Record<string, unknown>): void {
    const trace: Record<string, string> = {};
    propagation.inject(context.active(), trace);
    const event = { _id: msgId, subject, data: JSON.stringify(body), trace, createdAt: new Date() };
    void this.pending
      .create(event)
      .catch((err: unknown) => {
        // Already queued (a repeat of the same event): publishing again is deduplicated.
        if ((err as { code?: number }).code !== 11000) throw err;
      })
      .then(() => this.publish(event))
      .catch((err: unknown) => this.logger.warn({ err, subject, msg_id: msgId }, 'trading event not published yet; the relay will retry'));
  }

  private async publish(e: PendingEvent): Promise<void> {
    await publishEvent(this.js, e.subject, Buffer.from(e.data), e._id);
    await this.pending.deleteOne({ _id: e._id });
  }

  async sweep(olderThanMs = 2_000): Promise<number> {
    const due = await this.pending.find({ createdAt: { $lte: new Date(Date.now() - olderThanMs) } }).sort({ createdAt: 1 }).limit(100).lean();
    for (const e of due) {
      const ctx = propagation.extract(context.active(), e.trace ?? {});
      await context.with(ctx, () => this.publish(e as PendingEvent));
    }
    return due.length;
  }

  start(intervalMs: number): void {
    this.relay = every(intervalMs, 'trading outbox relay', this.logger, async () => {
      const n = await this.sweep();
      if (n > 0) this.logger.info({ count: n }, 'outbox relay published pending trading events');
    });
  }

  async stop(): Promise<void> {
    await this.relay?.stop();
  }
}
