import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The notifications service's metrics (served on METRICS_PORT). */
export function createNotificationMetrics(registry: Registry) {
  return {
    events: new Counter({
      name: 'notification_events_total',
      help: 'NATS events read, by event type (or "ignored") and whether they made deliveries',
      labelNames: ['event_type', 'result'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'notification_deliveries_total',
      help: 'Deliveries finished, by channel and outcome (delivered, failed, gone)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'notification_delivery_attempts_total',
      help: 'Delivery attempts, by channel and outcome (delivered, retry, failed, gone)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'notification_event_to_delivery_seconds',
      help: 'Time from the event to its delivery, by channel (retries included)',
      labelNames: ['channel'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400, 259_200],
      registers: [registry],
    }),
    backlogAge: new Gauge({
      name: 'notification_backlog_age_seconds',
      help: 'Age of the oldest delivery not finished yet, by channel (0: none)',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
  };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
