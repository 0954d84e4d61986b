import { z } from 'zod';
import { commonConfigShape, env, loadConfig, rpcHostShape, serviceAuthConfigShape } from '@tbot/common';

export const notificationsConfigSchema = z.object({
  ...commonConfigShape,
  ...serviceAuthConfigShape,
  ...rpcHostShape,
  NOTIFICATIONS_PORT: env.port(50053),
  MONGODB_URI: z.string().min(1),
  /** Plain-HTTP port of GET /metrics (0: any free port). */
  METRICS_PORT: env.port(9466),
  /** A message in flight longer than this is delivered again by JetStream (a replica died before acking). */
  EVENT_ACK_WAIT_MS: env.positiveInt(30_000),
  /** How long a replica's claim on a delivery holds: longer than any channel's timeout. A crashed replica's claims are taken over after it. */
  DELIVERY_LEASE_MS: env.positiveInt(60_000),
  /** How often due retries, digests and abandoned claims are looked for. */
  RETRY_SCAN_INTERVAL_MS: env.positiveInt(2_000),
  /** First retry delay; each next one ×4 (±20 % jitter), up to RETRY_MAX_DELAY_MS. */
  RETRY_BASE_MS: env.positiveInt(10_000),
  RETRY_MAX_DELAY_MS: env.positiveInt(12 * 3_600_000),
  /** No retry is scheduled past this age of a delivery (then it is failed). */
  RETRY_GIVE_UP_HOURS: z.coerce.number().positive().default(72),
  /** Fills per user and minute sent one by one; more fold into one message (chat and email). */
  DIGEST_FILLS_PER_MINUTE: env.positiveInt(5),
  /** Outbound webhooks. */
  WEBHOOK_TIMEOUT_MS: env.positiveInt(10_000),
  WEBHOOK_MAX_BODY_BYTES: env.positiveInt(64 * 1024),
  /** Allow endpoints on private, loopback and link-local addresses, and http:// (local stacks and tests only). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: env.bool(false),
  /** An endpoint failing this long without a success is disabled and its owner told. */
  WEBHOOK_DISABLE_AFTER_FAILING_HOURS: z.coerce.number().positive().default(120),
  /** Endpoints one user may have. */
  WEBHOOK_MAX_ENDPOINTS_PER_USER: z.coerce.number().int().min(1).max(100).default(10),
  /** How often users' "no TradingView alert for N hours" settings are checked (the notice is at most this late). */
  SILENCE_CHECK_INTERVAL_MS: env.positiveInt(60_000),
  /**
   * 32 bytes (hex or base64) sealing outbound endpoints' whsec_ secrets at rest (AES-256-GCM);
   * comma-separated `new,old` while rotating (the first seals, all open). Errors name the
   * variable, never a value.
   */
  NOTIFICATIONS_MASTER_KEY: z.string().min(1),
  /** Default overlap of a rotated secret with the new one. */
  WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(7 * 86_400).default(86_400),
});

export type NotificationsConfig = z.infer<typeof notificationsConfigSchema>;

export const loadNotificationsConfig = (e: NodeJS.ProcessEnv = process.env): NotificationsConfig => loadConfig(notificationsConfigSchema, e);
