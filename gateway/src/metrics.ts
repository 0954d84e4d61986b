import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Event types are labels only when we know them, so a sender cannot blow up cardinality. */
export function eventTypeLabel(type: string | undefined, known: readonly string[]): string {
  return type && known.includes(type) ? type : 'other';
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhooksReceived: new Counter({
      name: 'webhooks_received_total',
      help: 'Webhooks received, by provider, event type and outcome',
      labelNames: ['provider', 'event_type', 'outcome'] as const,
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'webhook_processing_seconds',
      help: 'Time from receiving a webhook to answering it (stored in JetStream, or refused)',
      labelNames: ['provider'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    publishFailures: new Counter({
      name: 'webhook_publish_failures_total',
      help: 'Verified webhooks that could not be stored in JetStream (answered 503)',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    signatureFailures: new Counter({
      name: 'webhook_signature_failures_total',
      help: 'Webhooks refused because their signature did not verify',
      labelNames: ['provider', 'reason'] as const,
      registers: [registry],
    }),
    rateLimitSyncFailures: new Counter({
      name: 'rate_limit_sync_failures_total',
      help: 'Syncs of rate-limit counts with NATS KV that failed (limits then hold per replica only)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
