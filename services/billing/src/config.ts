import * as path from 'node:path';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@tbot/common';

export const billingConfigSchema = z.object({
  ...commonConfigShape,
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
});

export type BillingConfig = z.infer<typeof billingConfigSchema>;

export const loadBillingConfig = (e: NodeJS.ProcessEnv = process.env): BillingConfig =>
  loadConfig(billingConfigSchema, e);
