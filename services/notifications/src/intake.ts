import { withConsumeSpan, type Logger } from '@tbot/common';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { ALERT_OUTCOME_SUBJECTS, type AlertActivity } from './alert-activity';
import { catalogue } from './catalogue';
import type { Dispatcher } from './dispatcher';
import type { NotificationMetrics } from './metrics';

/** The streams read, each through its own durable consumer (shared by every replica). */
export const INTAKE_STREAMS = [
  { stream: 'BILLING', filter: 'billing.>', durable: 'notifications-billing' },
  { stream: 'TRADING', filter: 'trading.>', durable: 'notifications-trading' },
] as const;

/** The event's id: its Nats-Msg-Id (what the publisher de-duplicates on), else its place in the stream. */
export function eventIdOf(m: Pick<JsMsg, 'headers' | 'info'>): string {
  return m.headers?.get('Nats-Msg-Id') || `${m.info.stream}:${m.info.streamSequence}`;
}

/**
 * Reads billing's and trading's events through durable pull consumers with explicit
 * acks. A message is acked once its deliveries are recorded (not sent): from then on the
 * records carry the guarantee, so a crash between ack and attempt loses nothing, and a
 * crash before the ack brings the message back, where the unique delivery key finds the
 * records already made. Unknown subjects are acked and ignored.
 */
export class EventIntake {
  private readonly subscriptions: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private readyStreams = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly dispatcher: Dispatcher,
    private readonly metrics: NotificationMetrics,
    private readonly logger: Logger,
    private readonly opts: { ackWaitMs: number; maxAckPending: number; /** Told of every alert outcome (the silence watcher's clock). */ activity?: AlertActivity },
  ) {}

  /** True once every stream's consumer is up (readiness). */
  get ready(): boolean {
    return this.readyStreams.size === INTAKE_STREAMS.length;
  }

  start(): void {
    for (const s of INTAKE_STREAMS) this.loops.push(this.run(s));
  }

  /**
   * The streams belong to billing and trading, which may start after this service: wait for
   * each rather than create it (and need the right to). Pulls again if a subscription ends.
   */
  private async run(s: (typeof INTAKE_STREAMS)[number]): Promise<void> {
    while (!this.stopping) {
      try {
        const jsm = await this.nc.jetstreamManager();
        const config = {
          durable_name: s.durable,
          ack_policy: AckPolicy.Explicit,
          // A first start does not send notifications for the stream's whole history (days);
          // from then on the durable consumer resumes where it stopped.
          deliver_policy: DeliverPolicy.New,
          filter_subject: s.filter,
          ack_wait: nanos(this.opts.ackWaitMs),
          max_deliver: -1,
          max_ack_pending: this.opts.maxAckPending,
        };
        try {
          await jsm.consumers.info(s.stream, s.durable);
          await jsm.consumers.update(s.stream, s.durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
        } catch (err) {
          if ((err as { code?: string }).code !== '404') throw err;
          await jsm.consumers.add(s.stream, config);
        }
        const consumer = await this.nc.jetstream().consumers.get(s.stream, s.durable);
        const messages = await consumer.consume({ max_messages: 64 });
        this.subscriptions.push(messages);
        this.readyStreams.add(s.stream);
        this.logger.info({ stream: s.stream, consumer: s.durable }, 'reading events');
        for await (const m of messages) await this.handle(m);
      } catch (err) {
        if (this.stopping) return;
        const missing = /stream not found/i.test((err as Error).message ?? '');
        if (missing) this.logger.info({ stream: s.stream }, 'stream not there yet; waiting for its publisher to create it');
        else this.logger.warn({ err, stream: s.stream }, 'event subscription failed');
      }
      this.readyStreams.delete(s.stream);
      if (this.stopping) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const result = catalogue(m.subject, m.data);
    if (!result.ok) {
      if (result.reason === 'unknown_subject') this.logger.debug({ subject: m.subject }, 'event ignored: no notification for this subject');
      else this.logger.warn({ subject: m.subject, reason: result.reason, detail: result.detail }, 'event ignored: unreadable');
      this.metrics.events.inc({ event_type: 'ignored', result: result.reason });
      m.ack();
      return;
    }
    const ev = result.event;
    const eventId = eventIdOf(m);
    // The stream's timestamp: the same on every redelivery (the digest's minute depends on it).
    const occurredAt = ev.occurredAt ?? new Date(Math.floor(m.info.timestampNanos / 1e6));
    try {
      const ids = await withConsumeSpan(m.subject, m.headers, async () => {
        // Before the ack, like the deliveries: a failure here brings the event back.
        if (this.opts.activity && ALERT_OUTCOME_SUBJECTS.has(m.subject)) await this.opts.activity.saw(ev.userId, occurredAt);
        const recorded = await this.dispatcher.dispatch(eventId, ev, occurredAt);
        m.ack();
        // Inside the consume span: the attempts (and their HTTP calls) continue the event's trace.
        this.dispatcher.attemptSoon(recorded);
        return recorded;
      });
      this.metrics.events.inc({ event_type: ev.type, result: ids.length > 0 ? 'dispatched' : 'none' });
    } catch (err) {
      // Nothing or only part recorded: JetStream brings it back; what was recorded is found again.
      this.logger.warn({ err, subject: m.subject, event_id: eventId }, 'event not processed; JetStream will deliver it again');
      m.nak(5000);
    }
  }

  /** Stops pulling; a message being handled finishes, the rest are redelivered after ack wait. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.subscriptions.map((s) => s.close()));
    await Promise.allSettled(this.loops);
  }
}
