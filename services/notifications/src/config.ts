import { z } from 'zod';
import { commonConfigShape, env, loadConfig, rpcHostShape, serviceAuthConfigShape } from '@tbot/common';

/** A bot token as BotFather hands it out: `<bot id>:<35 characters>`. The value is never echoed. */
const telegramToken = z.string().regex(/^\d+:[A-Za-z0-9_-]{30,}$/, 'expected <bot id>:<secret> as BotFather gives it');

/** Each unsubscribe secret at least 32 characters; the first signs new links, all verify (rotation). */
const unsubscribeSecrets = env.list().refine((l) => l.length > 0 && l.every((s) => s.length >= 32), 'each secret must be at least 32 characters (openssl rand -hex 32)');

export const notificationsConfigSchema = z
  .object({
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
  /** How often notification_backlog_age_seconds is measured. */
  BACKLOG_SCAN_INTERVAL_MS: env.positiveInt(5_000),
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

  /** Telegram: unset, the channel is off (no sends, no chat linking). A secret: never logged. */
  TELEGRAM_BOT_TOKEN: telegramToken.optional(),
  /** The Bot API's base (tests point it at a fake); the client appends /bot<token>/<method>. */
  TELEGRAM_API_BASE: env.url().default('https://api.telegram.org'),
  /** getUpdates long-poll timeout: how long Telegram holds an idle poll open (chat linking). */
  TELEGRAM_POLL_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(50).default(25),

  /** Email: `smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`. Unset: the channel is off. */
  SMTP_URL: z.string().startsWith('smtp', 'must start with smtp:// or smtps://').optional(),
  /** From header: `alerts@example.com` or `"Trading Bot" <alerts@example.com>`; required with SMTP_URL. */
  SMTP_FROM: z.string().min(3).optional(),
  /** Signs the one-click unsubscribe links in emails; comma-separated to rotate (first signs). Required with SMTP_URL. */
  NOTIFICATIONS_UNSUBSCRIBE_SECRET: unsubscribeSecrets.optional(),
  /**
   * The gateway's public https origin, e.g. https://app.example.com: unsubscribe links are
   * `<PUBLIC_BASE_URL>/api/notifications/unsubscribe?token=…` (RFC 8058 wants https). Required with SMTP_URL.
   */
  PUBLIC_BASE_URL: env.url().optional(),
  })
  // Email needs all four or none: a half-configured channel would fail on the first send.
  .superRefine((c, ctx) => {
    if (!c.SMTP_URL) return;
    for (const key of ['SMTP_FROM', 'NOTIFICATIONS_UNSUBSCRIBE_SECRET', 'PUBLIC_BASE_URL'] as const) {
      if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when SMTP_URL is set' });
    }
    // Only checked with email on: `npm start` may hand every service the gateway's local http:// origin.
    if (c.PUBLIC_BASE_URL && !c.PUBLIC_BASE_URL.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'must be an https:// URL with SMTP_URL (one-click unsubscribe, RFC 8058)' });
    }
  });

export type NotificationsConfig = z.infer<typeof notificationsConfigSchema>;

export const loadNotificationsConfig = (e: NodeJS.ProcessEnv = process.env): NotificationsConfig => loadConfig(notificationsConfigSchema, e);
