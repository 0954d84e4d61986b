import { z } from 'zod';
import { commonConfigShape, env, loadConfig, rpcHostShape, serviceAuthConfigShape } from '@tbot/common';

export const tradingConfigSchema = z.object({
  ...commonConfigShape,
  ...serviceAuthConfigShape,
  ...rpcHostShape,
  TRADING_PORT: env.port(50052),
  MONGODB_URI: z.string().min(1),
  BILLING_URL: env.url().default('http://127.0.0.1:50051'),
  RPC_TIMEOUT_MS: env.positiveInt(3_000),
  /** 32 bytes (hex or base64) that encrypt exchange credentials at rest (AES-256-GCM). */
  EXCHANGE_KEYS_MASTER_KEY: z.string().min(1),
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
  /** How often events whose publish failed (NATS down) are retried. */
  OUTBOX_RELAY_INTERVAL_MS: env.positiveInt(10_000),
});

export type TradingConfig = z.infer<typeof tradingConfigSchema>;

export const loadTradingConfig = (e: NodeJS.ProcessEnv = process.env): TradingConfig => loadConfig(tradingConfigSchema, e);
