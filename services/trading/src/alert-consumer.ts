import { ConnectError } from '@connectrpc/connect';
import {
  ALERT_CONSUMER,
  ALERT_REPLY_HEADER,
  ALERT_STREAM,
  ALERT_SUBJECTS,
  decodeAlert,
  publishAlertAnswer,
  withConsumeSpan,
  type ConsumerMetrics,
  type Logger,
} from '@tbot/common';
import { AckPolicy, DeliverPolicy, nanos, type Consumer, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { answerWithin, type SignalIntake } from './signal-intake';
import { answerMessage, submitInputOf } from './trading-service';

/** Time the answer needs to reach the gateway (one NATS hop, a busy event loop). */
const ANSWER_MARGIN_MS = 250;

export interface AlertConsumerOptions {
  /** Alerts executing at once in this replica: what the database is asked to carry in a burst. */
  concurrency: number;
  /** How long an alert may be in flight before JetStream hands it out again. */
  ackWaitMs: number;
  /** Counts redeliveries (nats_consumer_redeliveries_total); unset in tests. */
  metrics?: ConsumerMetrics;
}

/**
 * Executes the alerts the gateway stored in the ALERTS stream (services/common/src/
 * alert-stream.ts) through a durable pull consumer, so replicas share them and a restart
 * resumes where it stopped. At most `concurrency` alerts are in flight: a candle-close
 * burst waits in the stream, not in this process's memory or the database's queue. Each
 * alert's answer goes to the gateway's inbox as soon as it is known (or not at all once the
 * gateway stopped waiting); the message is acked when every command of the alert is done.
 */
export class AlertConsumer {
  private messages?: ConsumerMessages;
  private inFlight = 0;
  private slotFree?: () => void;
  private idle?: () => void;
  private stopping = false;
  private pump?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly signals: SignalIntake,
    private readonly logger: Logger,
    private readonly opts: AlertConsumerOptions,
  ) {}

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const settings = {
      ack_wait: nanos(this.opts.ackWaitMs),
      // The server hands out no more than the replicas can hold; the rest waits in the stream.
      max_ack_pending: Math.max(100, this.opts.concurrency * 4),
    };
    try {
      await jsm.consumers.info(ALERT_STREAM, ALERT_CONSUMER);
      await jsm.consumers.update(ALERT_STREAM, ALERT_CONSUMER, settings);
    } catch (err) {
      if ((err as { code?: string }).code !== '404') throw err;
      await jsm.consumers.add(ALERT_STREAM, {
        durable_name: ALERT_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: ALERT_SUBJECTS[0],
        // An alert is refused as stale once it waited MAX_SIGNAL_AGE_SECONDS, so redelivering
        // it costs one lookup; the server never gives up on one that was not acked.
        max_deliver: -1,
        ...settings,
      });
    }
    const consumer = await this.nc.jetstream().consumers.get(ALERT_STREAM, ALERT_CONSUMER);
    this.pump = this.pumpForever(consumer);
    this.logger.info({ consumer: ALERT_CONSUMER, concurrency: this.opts.concurrency }, 'executing alerts from JetStream');
  }

  /** Stops taking alerts and waits for those in flight to be acked. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.slotFree?.();
    await this.messages?.close().catch(() => undefined);
    await this.pump;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** A pull subscription can end under us (NATS restarted): pull again rather than sit idle. */
  private async pumpForever(consumer: Consumer): Promise<void> {
    while (!this.stopping) {
      try {
        this.messages = await consumer.consume({ max_messages: this.opts.concurrency });
        for await (const m of this.messages) {
          if (this.stopping) {
            // Taken but not started: straight back to the stream for another replica.
            m.nak();
            continue;
          }
          void this.handle(m);
          while (this.inFlight >= this.opts.concurrency && !this.stopping) {
            await new Promise<void>((resolve) => (this.slotFree = resolve));
          }
        }
      } catch (err) {
        this.logger.warn({ err }, 'alert pull subscription failed');
      }
      this.messages = undefined;
      if (this.stopping) return;
      this.logger.warn('alert pull subscription ended; pulling again');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    this.inFlight++;
    this.opts.metrics?.delivered(ALERT_STREAM, ALERT_CONSUMER, m.info);
    try {
      await withConsumeSpan(m.subject, m.headers, () => this.execute(m));
    } catch (err) {
      // Not taken in (the database unreachable): JetStream hands it out again after a pause.
      this.logger.error({ err, stream_seq: m.seq }, 'alert not taken in; it will be retried');
      m.nak(5000);
    } finally {
      this.inFlight--;
      this.slotFree?.();
      this.slotFree = undefined;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private async execute(m: JsMsg): Promise<void> {
    const replyTo = m.headers?.get(ALERT_REPLY_HEADER) || undefined;
    const storedAt = new Date(Math.floor(m.info.timestampNanos / 1e6));
    let input;
    try {
      input = { ...submitInputOf(decodeAlert(m.data), storedAt), streamSeq: m.seq };
    } catch (err) {
      // Only the gateway publishes here, and it checks ids first: this message can never be executed.
      const message = err instanceof ConnectError ? err.rawMessage : 'the alert message cannot be read';
      this.logger.warn({ stream_seq: m.seq, message }, 'alert message refused');
      if (replyTo) publishAlertAnswer(this.nc, replyTo, answerMessage({ status: 'rejected', signalId: '', rejectCode: 'malformed_alert', message }));
      m.term();
      return;
    }
    const received = await this.signals.receive(input);
    // Answered a little before the gateway stops waiting, so "accepted" still arrives with its signal id.
    const waitMs = input.receivedAt.getTime() + input.waitMs - ANSWER_MARGIN_MS - Date.now();
    if (replyTo && waitMs > 0) {
      void answerWithin(received, waitMs).then((answer) => publishAlertAnswer(this.nc, replyTo, answerMessage(answer)));
    }
    await Promise.all(received.outcomes);
    m.ack();
  }
}
