import { z } from 'zod';
import { commonConfigShape, env, loadConfig, rpcHostShape, serviceAuthConfigShape } from '@tbot/common';

export const tradingConfigSchema = z.object({
  ...commonConfigShape,
  ...serviceAuthConfigShape,
  ...rpcHostShape,
  TRADING_PORT: env.port(50052),
  /** Plain-HTTP port of GET /metrics (0: any free port). Apart from billing 9464, gateway ops 9465 and notifications 9466 so all fit one host. */
  METRICS_PORT: env.port(9467),
  MONGODB_URI: z.string().min(1),
  BILLING_URL: env.url().default('http://127.0.0.1:50051'),
  RPC_TIMEOUT_MS: env.positiveInt(3_000),
  /**
   * 32 bytes (hex or base64) that encrypt exchange credentials and webhook signing keys at
   * rest (AES-256-GCM); comma-separated `new,old` while rotating (the first encrypts, all
   * decrypt). Parsed by parseMasterKeys, whose errors name the variable, never a value.
   */
  EXCHANGE_KEYS_MASTER_KEY: z.string().min(1),
  /** After a webhook secret rotation, how long the previous secret and signing key still work (0: not at all). */
  WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(30 * 86_400).default(86_400),
  /** How many strategies (each a webhook URL with its own secret) one user may have. */
  MAX_STRATEGIES_PER_USER: z.coerce.number().int().min(1).max(1000).default(20),
  /** Where ccxt sends OKX requests (tests point it at a fake); unset: OKX itself. */
  OKX_API_BASE: env.url().optional(),
  EXCHANGE_TIMEOUT_MS: env.positiveInt(5_000),
  /** Alerts whose `timestamp` is older than this are refused as stale. */
  MAX_SIGNAL_AGE_SECONDS: env.positiveInt(60),
  /** How long billing's answer on a user's features is trusted (billing events clear it sooner). */
  ENTITLEMENT_CACHE_SECONDS: env.positiveInt(30),
  /** Quote balance (USDT) a paper account starts with. */
  PAPER_STARTING_BALANCE: z.coerce.number().positive().default(10_000),
  /** How often orders that are not final yet are looked up again. */
  ORDER_FOLLOW_UP_INTERVAL_MS: env.positiveInt(2_000),
  /** How long OKX's report of an account (positions, balances) is used for sizing and risk; dropped after each fill. */
  EXCHANGE_STATE_CACHE_SECONDS: env.positiveInt(5),
  /** How often every OKX account's positions are compared with the service's book. */
  RECONCILE_POSITIONS_INTERVAL_MS: env.positiveInt(60_000),
  /** How often paper positions' stop-loss and take-profit are checked against the last price. */
  PAPER_TRIGGER_INTERVAL_MS: env.positiveInt(5_000),
  /**
   * Alerts from the ALERTS stream executing at once in one replica. A burst beyond it waits
   * in the stream (answered 202 by the gateway, executed in order of arrival).
   */
  ALERT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  /** How long one alert may take before JetStream hands it to another replica (it is then recognised as a duplicate). */
  ALERT_ACK_WAIT_MS: env.positiveInt(300_000),
  /** How often events whose publish failed (NATS down) are retried. */
  OUTBOX_RELAY_INTERVAL_MS: env.positiveInt(10_000),
});

export type TradingConfig = z.infer<typeof tradingConfigSchema>;

export const loadTradingConfig = (e: NodeJS.ProcessEnv = process.env): TradingConfig => loadConfig(tradingConfigSchema, e);
