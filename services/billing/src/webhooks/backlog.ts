import { WEBHOOK_CONSUMER, WEBHOOK_STREAM, type ConsumerMetrics, type Logger, type Periodic } from '@tbot/common';
import type { NatsConnection } from 'nats';
import type { WebhookMetrics } from './metrics';

/**
 * webhook_backlog_messages and webhook_backlog_age_seconds, from the consumer's state in
 * JetStream (so every replica reports the same): the events not yet acked, and the age
 * of the oldest of them. Measured once with the generic nats_consumer_* gauges
 * (@tbot/common consumer-metrics.ts); the webhook names stay for dashboards and alerts.
 */
export class BacklogGauge {
  private timer?: Periodic;

  constructor(
    private readonly nc: NatsConnection,
    private readonly metrics: WebhookMetrics,
    private readonly consumers: ConsumerMetrics,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = this.consumers.watch(this.nc, WEBHOOK_STREAM, WEBHOOK_CONSUMER, intervalMs, this.logger, (s) => {
      this.metrics.backlogMessages.set(s.pending + s.ackPending);
      this.metrics.backlogAge.set(s.oldestAgeSeconds);
    });
  }

  async stop(): Promise<void> {
    await this.timer?.stop();
  }
}
