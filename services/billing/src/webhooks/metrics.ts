import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Billing's webhook metrics (served on METRICS_PORT). */
export function createWebhookMetrics(registry: Registry) {
  return {
    applied: new Counter({
      name: 'webhook_events_applied_total',
      help: 'Webhook events billing finished with, by provider, event type and outcome (applied, duplicate, stale, ignored, unmatched, dead_letter)',
      labelNames: ['provider', 'event_type', 'outcome'] as const,
      registers: [registry],
    }),
    applySeconds: new Histogram({
      name: 'webhook_apply_seconds',
      help: 'Time to apply one batch of webhook events',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'webhook_retries_total',
      help: 'Deliveries handed back to JetStream to try later, by provider and reason (failed, unavailable, unmatched)',
      labelNames: ['provider', 'reason'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'webhook_dead_letters_total',
      help: 'Webhook events dead-lettered after WEBHOOK_MAX_DELIVER failed attempts',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    backlogMessages: new Gauge({
      name: 'webhook_backlog_messages',
      help: 'Webhook events in the stream not yet applied (pending + being applied)',
      registers: [registry],
    }),
    backlogAge: new Gauge({
      name: 'webhook_backlog_age_seconds',
      help: 'Age of the oldest webhook event not yet applied (0 when none)',
      registers: [registry],
    }),
  };
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;
