import { context, propagation } from '@opentelemetry/api';
import type { Collection, Connection } from 'mongoose';
import type { JetStreamClient } from 'nats';
import type { Logger } from './logger';
import { isDuplicateKeyError } from './mongo';
import { publishEvent } from './nats';
import { every, type Periodic } from './periodic';

export interface OutboxEvent {
  subject: string;
  /** Nats-Msg-Id: JetStream drops a second publish with the same id. */
  msgId: string;
  /** The message body (JSON). */
  data: string;
  /** W3C trace context of the code that caused it, so a late publish joins its trace. */
  trace?: Record<string, string>;
}

interface PendingDoc {
  _id: string; // msgId
  subject: string;
  data: string;
  trace: Record<string, string>;
  createdAt: Date;
}

/**
 * Events a service owes NATS. They are stored (a small collection: an entry lives only
 * until JetStream has it) together with, or right after, the change that caused them,
 * then published at once; a relay publishes what a NATS outage or a crash left behind.
 * The msgId is both the entry's _id and Nats-Msg-Id, so storing or publishing an event
 * twice is harmless. One implementation for every service.
 */
export class Outbox {
  private readonly pending: Collection<PendingDoc>;
  private relay?: Periodic;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    conn: Connection,
    collection: string,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
  ) {
    this.pending = conn.collection<PendingDoc>(collection);
  }

  /** Index for the relay's "oldest first" sweep. */
  async init(): Promise<void> {
    await this.pending.createIndex({ createdAt: 1 });
  }

  /** Makes the events durable; each keeps the trace it was created in (or the current one). */
  async store(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = new Date();
    const docs = events.map((e) => ({ _id: e.msgId, subject: e.subject, data: e.data, trace: e.trace ?? currentTrace(), createdAt: now }));
    try {
      await this.pending.insertMany(docs, { ordered: false });
    } catch (err) {
      // Already stored by an earlier attempt of the same change: nothing to add.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /** Publishes stored events in the background; what fails stays for the relay. */
  publishSoon(events: OutboxEvent[]): void {
    if (events.length === 0) return;
    const p = this.publish(events.map((e) => ({ ...e, trace: e.trace ?? currentTrace() })))
      .catch((err: unknown) =>
        this.logger.warn({ err, count: events.length }, 'event publish failed; the outbox relay will retry'),
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /**
   * Publishes now, in order, and stores for the relay what could not be published. For
   * changes already written whose cause is redelivered until it is acked (a JetStream
   * message acked after this): a crash before the publish means the cause comes back and
   * the same events (same ids: JetStream drops repeats) are announced then, so they
   * need not be stored first. Throws only when an event could be neither published nor
   * stored.
   */
  async deliver(events: OutboxEvent[]): Promise<void> {
    const traced = events.map((e) => ({ ...e, trace: e.trace ?? currentTrace() }));
    // All at once: each publish is written to the connection as it is called, so
    // JetStream stores them in this order; only the PubAcks are awaited together.
    const acks = await Promise.allSettled(traced.map((e) => this.publishOne(e)));
    const failed = traced.filter((_, i) => acks[i]!.status === 'rejected');
    if (failed.length === 0) return;
    this.logger.warn({ err: (acks.find((a) => a.status === 'rejected') as PromiseRejectedResult).reason, count: failed.length }, 'event publish failed; stored for the outbox relay');
    await this.store(failed);
  }

  /** store + publishSoon, for a change that is already durable. */
  async emit(events: OutboxEvent[]): Promise<void> {
    const traced = events.map((e) => ({ ...e, trace: e.trace ?? currentTrace() }));
    await this.store(traced);
    this.publishSoon(traced);
  }

  private async publish(events: OutboxEvent[]): Promise<void> {
    const done: string[] = [];
    try {
      // In order: a subscriber sees a user's events as they happened.
      for (const e of events) {
        await this.publishOne(e);
        done.push(e.msgId);
      }
    } finally {
      if (done.length > 0) await this.pending.deleteMany({ _id: { $in: done } });
    }
  }

  private async publishOne(e: OutboxEvent): Promise<void> {
    const ctx = e.trace ? propagation.extract(context.active(), e.trace) : context.active();
    await context.with(ctx, () => publishEvent(this.js, e.subject, Buffer.from(e.data), e.msgId));
  }

  /** olderThanMs leaves the fast path time to finish before the relay publishes too. */
  async sweep(olderThanMs = 2_000): Promise<number> {
    const due = await this.pending
      .find({ createdAt: { $lte: new Date(Date.now() - olderThanMs) } })
      .sort({ createdAt: 1 })
      .limit(200)
      .toArray();
    if (due.length > 0) {
      await this.publish(due.map((d) => ({ subject: d.subject, msgId: d._id, data: d.data, trace: d.trace })));
    }
    return due.length;
  }

  start(intervalMs: number, name: string): void {
    this.relay = every(intervalMs, name, this.logger, async () => {
      const n = await this.sweep();
      if (n > 0) this.logger.info({ count: n, relay: name }, 'outbox relay published pending events');
    });
  }

  /** Stops the relay and waits for publishes in flight. */
  async stop(): Promise<void> {
    await this.relay?.stop();
    await Promise.allSettled([...this.inFlight]);
  }
}

/** The W3C trace context of the active span, as headers (to store beside an event). */
export function currentTrace(): Record<string, string> {
  const trace: Record<string, string> = {};
  propagation.inject(context.active(), trace);
  return trace;
}
