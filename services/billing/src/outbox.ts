import { context, propagation } from '@opentelemetry/api';
import { every, publishEvent, type Logger, type Periodic } from '@tbot/common';
import type { JetStreamClient } from 'nats';
import type { OutboxEvent } from './ledger';
import type { Models } from './models';

export const BILLING_STREAM = 'BILLING';
export const BILLING_SUBJECTS = ['billing.>'];

/**
 * Publishes the events a ledger entry stored. Publishing right after the effect is the
 * fast path; the relay sweeps entries whose publish failed (NATS down, process killed),
 * and JetStream's msgID de-duplication makes a re-publish harmless.
 */
export class Outbox {
  private relay?: Periodic;

  constructor(
    private readonly models: Models,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
  ) {}

  publishNow = (eventKey: string, events: OutboxEvent[]): void => {
    void this.publish(eventKey, events).catch((err: unknown) =>
      this.logger.warn({ err, eventKey }, 'event publish failed; the outbox relay will retry'),
    );
  };

  private async publish(eventKey: string, events: OutboxEvent[]): Promise<void> {
    for (const event of events) {
      // The relay runs outside any request: continue the trace of the webhook that caused it.
      const ctx = event.trace ? propagation.extract(context.active(), event.trace) : context.active();
      await context.with(ctx, () => publishEvent(this.js, event.subject, Buffer.from(event.data), event.msgId));
    }
    await this.models.Ledger.updateOne({ _id: eventKey }, { $set: { published: true } });
  }

  /** olderThanMs leaves the fast path time to finish before the relay publishes too. */
  async sweep(olderThanMs = 2_000): Promise<number> {
    const pending = await this.models.Ledger.find({
      published: false,
      state: 'done',
      finishedAt: { $lte: new Date(Date.now() - olderThanMs) },
    })
      .limit(100)
      .lean();
    for (const entry of pending) {
      await this.publish(entry._id, entry.events as OutboxEvent[]);
    }
    return pending.length;
  }

  start(intervalMs = 10_000): void {
    this.relay = every(intervalMs, 'billing outbox relay', this.logger, async () => {
      const n = await this.sweep();
      if (n > 0) this.logger.info({ count: n }, 'outbox relay published pending events');
    });
  }

  async stop(): Promise<void> {
    await this.relay?.stop();
  }
}
