import * as path from 'node:path';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig, rpcHostShape, serviceAuthConfigShape } from '@tbot/common';

export const billingConfigSchema = z.object({
  ...commonConfigShape,
  ...serviceAuthConfigShape,
  ...rpcHostShape,
  BILLING_PORT: env.port(50051),
  MONGODB_URI: z.string().min(1),
  PLANS_FILE: z.string().default(path.join(__dirname, '..', 'plans.json')),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_API_BASE: env.url().optional(),
  PAYSTACK_SECRET_KEY: z.string().optional(),
  PAYSTACK_API_BASE: env.url().default('https://api.paystack.co'),
  PROVIDER_TIMEOUT_MS: env.positiveInt(10_000),
  /** How often the outbox relay looks for events whose publish failed (NATS was down). */
  OUTBOX_RELAY_INTERVAL_MS: env.positiveInt(10_000),
  /** Plain-HTTP port of GET /metrics (0: any free port). */
  METRICS_PORT: env.port(9464),
  /** How long the WEBHOOKS stream keeps events (replay window); shared with the gateway. */
  WEBHOOK_RETENTION_HOURS: env.positiveInt(168),
  /** Failed attempts after which a webhook is dead-lettered (outages do not count). */
  WEBHOOK_MAX_DELIVER: env.positiveInt(8),
  /** Most webhooks applied in one batch. */
  WEBHOOK_BATCH_SIZE: env.positiveInt(500),
  /** Customers whose events are applied at the same time. */
  WEBHOOK_APPLY_CONCURRENCY: env.positiveInt(32),
  /** A webhook in flight longer than this is delivered again (a replica died). */
  WEBHOOK_ACK_WAIT_MS: env.positiveInt(30_000),
  /** Deadline of a replay's publish to JetStream. */
  WEBHOOK_PUBLISH_TIMEOUT_MS: env.positiveInt(1000),
  /** How long an event without a known user is re-tried before it is parked as unmatched. */
  UNMATCHED_RETRY_MINUTES: z.coerce.number().positive().default(30),
  /** A Paystack payment we initialized and nothing confirmed is verified with Paystack after this. */
  PAYSTACK_RECONCILE_MINUTES: z.coerce.number().positive().default(30),
  /** How often reconciliation asks Stripe and Paystack for what we missed. */
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().positive().default(15),
  /** Ledger entries expire after this (past Stripe's 30-day resend window). */
  LEDGER_RETENTION_DAYS: env.positiveInt(35),
});

export type BillingConfig = z.infer<typeof billingConfigSchema>;

export const loadBillingConfig = (e: NodeJS.ProcessEnv = process.env): BillingConfig =>
  loadConfig(billingConfigSchema, e);
