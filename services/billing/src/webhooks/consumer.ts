import {
  currentTrace,
  isUnavailableError,
  providerOfSubject,
  WEBHOOK_CONSUMER,
  WEBHOOK_STREAM,
  webhookTypeLabel,
  withConsumeSpan,
  type ConsumerMetrics,
  type Logger,
  type WebhookProvider,
} from '@tbot/common';
import { AckPolicy, DeliverPolicy, nanos, type Consumer, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import type { EventLedger, ItemResult, LedgerItem } from '../ledger';
import { UserBusyError } from '../user-state';
import { decide, mayWaitForUser, type Attempt, type DeliveryPolicy } from './delivery-policy';
import type { DeadLetters } from './dead-letters';
import type { WebhookMetrics } from './metrics';

export interface WebhookAppliers {
  item(provider: WebhookProvider, payload: Uint8Array, opts: { deferUnmatched: boolean }): LedgerItem;
}

export interface ConsumerOptions extends DeliveryPolicy {
  /** Most events applied together (one set of ledger round trips). */
  batchSize: number;
  /** Longest time an event may be in flight before JetStream delivers it again. */
  ackWaitMs: number;
  /** Counts redeliveries (nats_consumer_redeliveries_total); unset in tests. */
  consumerMetrics?: ConsumerMetrics;
}

/**
 * Applies the WEBHOOKS stream through a durable pull consumer, so every billing replica
 * shares the work and a restart resumes where it stopped. Messages are gathered into
 * batches while the previous batch is being applied; a batch runs through the ledger
 * (in order per customer, customers in parallel) and each message is acked only once its
 * effect and outgoing events are stored. Failures go back to JetStream with a delay
 * (nak), and after WEBHOOK_MAX_DELIVER attempts become dead letters.
 */
export class WebhookConsumer {
  private messages?: ConsumerMessages;
  private buffer: JsMsg[] = [];
  private wake?: () => void;
  private drained?: () => void;
  private stopping = false;
  private loop?: Promise<void>;
  private pump?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ledger: EventLedger,
    private readonly appliers: WebhookAppliers,
    private readonly deadLetters: DeadLetters,
    private readonly metrics: WebhookMetrics,
    private readonly logger: Logger,
    private readonly opts: ConsumerOptions,
  ) {}

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const config = {
      durable_name: WEBHOOK_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'webhooks.>',
      ack_wait: nanos(this.opts.ackWaitMs),
      // Attempts are counted by billing (transient outages do not count): the server never gives up.
      max_deliver: -1,
      max_ack_pending: Math.max(1000, this.opts.batchSize * 4),
    };
    try {
      await jsm.consumers.info(WEBHOOK_STREAM, WEBHOOK_CONSUMER);
      await jsm.consumers.update(WEBHOOK_STREAM, WEBHOOK_CONSUMER, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    } catch (err) {
      if ((err as { code?: string }).code !== '404') throw err;
      await jsm.consumers.add(WEBHOOK_STREAM, config);
    }
    const consumer = await this.nc.jetstream().consumers.get(WEBHOOK_STREAM, WEBHOOK_CONSUMER);
    this.pump = this.pumpForever(consumer);
    this.loop = this.run();
    this.logger.info({ consumer: WEBHOOK_CONSUMER, batch_size: this.opts.batchSize }, 'applying webhooks from JetStream');
  }

  /**
   * Moves delivered messages into the buffer. A pull subscription can end under us (NATS
   * restarted, heartbeats missed while the process was busy): pull again rather than
   * leave this replica idle while the backlog grows.
   */
  private async pumpForever(consumer: Consumer): Promise<void> {
    while (!this.stopping) {
      try {
        this.messages = await consumer.consume({ max_messages: this.opts.batchSize });
        for await (const m of this.messages) {
          this.opts.consumerMetrics?.delivered(WEBHOOK_STREAM, WEBHOOK_CONSUMER, m.info);
          this.buffer.push(m);
          this.wake?.();
          // Backpressure: the subscription pulls more only as this loop asks for it, so
          // hold while a batch is waiting. Otherwise messages pile up here, outlive the
          // ack wait and come back as redeliveries of work still queued.
          while (this.buffer.length >= this.opts.batchSize && !this.stopping) {
            await new Promise<void>((resolve) => (this.drained = resolve));
          }
        }
      } catch (err) {
        this.logger.warn({ err }, 'webhook pull subscription failed');
      }
      this.messages = undefined;
      if (this.stopping) return;
      this.logger.warn('webhook pull subscription ended; pulling again');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.buffer.splice(0, this.opts.batchSize);
      this.drained?.();
      this.drained = undefined;
      const stop = this.metrics.applySeconds.startTimer();
      try {
        await this.applyBatch(batch);
      } catch (err) {
        // Nothing was acked: JetStream delivers the batch again after a pause.
        this.logger.error({ err, count: batch.length }, 'webhook batch failed');
        for (const m of batch) m.nak(5000);
      } finally {
        stop();
      }
    }
  }

  private async applyBatch(batch: JsMsg[]): Promise<void> {
    const now = Date.now();
    const work: Array<{ m: JsMsg; provider: WebhookProvider; item: LedgerItem }> = [];
    for (const m of batch) {
      const provider = providerOfSubject(m.subject);
      let item: LedgerItem | undefined;
      try {
        if (!provider) throw new Error(`no provider for subject ${m.subject}`);
        const ageMs = now - Math.floor(m.info.timestampNanos / 1e6);
        item = this.appliers.item(provider, m.data, { deferUnmatched: mayWaitForUser(ageMs, this.opts) });
      } catch (err) {
        // The gateway checked the body; this one cannot be read at all: no retry will help.
        await this.settle(m, provider ?? 'unknown', 'unknown', undefined, { kind: 'invalid' }, err);
        continue;
      }
      const effect = item.effect;
      // The effect runs in the trace of the webhook (gateway → JetStream → here), and the
      // events it causes keep that trace for whenever they are published.
      const traced = () =>
        withConsumeSpan(m.subject, m.headers, async () => {
          const r = await effect();
          this.logger.info(
            { provider, event_type: item!.type, event_key: item!.eventKey, outcome: r.outcome, user_id: r.userId, detail: r.detail },
            'webhook applied',
          );
          return { ...r, events: r.events?.map((e) => ({ ...e, trace: e.trace ?? currentTrace() })) };
        });
      work.push({ m, provider: provider!, item: { ...item, effect: traced } });
    }
    if (work.length === 0) return;
    const results = await this.ledger.applyBatch(work.map((w) => w.item), { durableInput: true });
    await Promise.all(
      work.map(({ m, provider, item }, i) => {
        const r = results[i]!;
        return this.settle(m, provider, item.type, item.eventKey, attemptOf(r), r.ok ? undefined : r.error, r);
      }),
    );
  }

  private async settle(
    m: JsMsg,
    provider: string,
    type: string,
    eventKey: string | undefined,
    attempt: Attempt,
    error: unknown,
    result?: ItemResult,
  ): Promise<void> {
    const decision = decide(attempt, m.info.deliveryCount, this.opts);
    const label = webhookTypeLabel(provider, type);
    switch (decision.action) {
      case 'ack':
        m.ack();
        if (result?.ok) this.metrics.applied.inc({ provider, event_type: label, outcome: result.result.outcome });
        return;
      case 'retry':
        m.nak(decision.delayMs);
        this.metrics.retries.inc({ provider, reason: attempt.kind });
        if (attempt.kind !== 'unmatched') {
          this.logger.warn(
            { err: error, provider, event_type: type, event_key: eventKey, delivery: m.info.deliveryCount, retry_in_ms: decision.delayMs },
            'webhook not applied; JetStream will deliver it again',
          );
        }
        return;
      case 'dead_letter':
        await this.deadLetters.add(m, { provider, type, eventKey, error, attempts: m.info.deliveryCount });
        m.term();
        this.metrics.deadLetters.inc({ provider });
        this.metrics.applied.inc({ provider, event_type: label, outcome: 'dead_letter' });
        return;
    }
  }

  /** Stops taking messages, finishes the batch in progress and hands the rest back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close()?.catch(() => undefined);
    this.wake?.();
    this.drained?.();
    await this.loop;
    await this.pump;
    for (const m of this.buffer.splice(0)) m.nak();
  }
}

function attemptOf(r: ItemResult): Attempt {
  if (r.ok && r.result.inProgress) return { kind: 'in_progress' };
  if (!r.ok && r.error instanceof UserBusyError) return { kind: 'in_progress' };
  if (r.ok) return r.deferred ? { kind: 'unmatched' } : { kind: 'done' };
  if (isUnavailableError(r.error)) return { kind: 'unavailable' };
  return { kind: 'failed' };
}
