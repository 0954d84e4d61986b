import { every, WEBHOOK_CONSUMER, WEBHOOK_STREAM, type Logger, type Periodic } from '@tbot/common';
import type { NatsConnection } from 'nats';
import type { WebhookMetrics } from './metrics';

/**
 * webhook_backlog_messages and webhook_backlog_age_seconds, from the consumer's state in
 * JetStream (so every replica reports the same): the events not yet acked, and the age
 * of the oldest of them (the message right after the ack floor).
 */
export class BacklogGauge {
  private timer?: Periodic;

  constructor(
    private readonly nc: NatsConnection,
    private readonly metrics: WebhookMetrics,
    private readonly logger: Logger,
  ) {}

  async measure(): Promise<{ messages: number; ageSeconds: number }> {
    const jsm = await this.nc.jetstreamManager();
    const info = await jsm.consumers.info(WEBHOOK_STREAM, WEBHOOK_CONSUMER);
    const messages = info.num_pending + info.num_ack_pending;
    let ageSeconds = 0;
    if (messages > 0) {
      try {
        const oldest = await jsm.streams.getMessage(WEBHOOK_STREAM, { seq: info.ack_floor.stream_seq + 1 });
        ageSeconds = Math.max(0, (Date.now() - oldest.time.getTime()) / 1000);
      } catch {
        // The message right after the floor expired or was never stored for this filter: age unknown.
      }
    }
    this.metrics.backlogMessages.set(messages);
    this.metrics.backlogAge.set(ageSeconds);
    return { messages, ageSeconds };
  }

  start(intervalMs: number): void {
    this.timer = every(intervalMs, 'webhook backlog gauge', this.logger, () => this.measure());
  }

  async stop(): Promise<void> {
    await this.timer?.stop();
  }
}
