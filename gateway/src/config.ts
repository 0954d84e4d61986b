import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig, serviceAuthConfigShape } from '@tbot/common';

export const gatewayConfigSchema = z.object({
  ...commonConfigShape,
  ...serviceAuthConfigShape,
  PORT: env.port(8080),
  /**
   * Plain-HTTP port of /readyz, /metrics (and /healthz): for probes and Prometheus only,
   * never exposed publicly. Apart from billing's METRICS_PORT (9464) so both fit one host.
   */
  OPS_PORT: env.port(9465),
  BILLING_URL: env.url().default('http://127.0.0.1:50051'),
  TRADING_URL: env.url().default('http://127.0.0.1:50052'),
  /** The notifications service (email unsubscribe links). */
  NOTIFICATIONS_URL: env.url().default('http://127.0.0.1:50053'),
  /** Deadline of every call to an internal service. */
  RPC_TIMEOUT_MS: env.positiveInt(5_000),
  /**
   * The dashboard's static build (index.html and assets/), served at /app. Default: the
   * @tbot/dashboard package's dist/ (what `npm run build` writes, and the image copies).
   */
  DASHBOARD_DIR: z.string().min(1).optional(),
  /** Public base URL of this gateway, for the Paystack callback URL. */
  PUBLIC_BASE_URL: env.url().optional(),
  /** Comma-separated whsec_ secrets: all are tried, so a secret can be rolled. */
  STRIPE_WEBHOOK_SECRET: env.list().optional(),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: env.positiveInt(300),
  PAYSTACK_SECRET_KEY: z.string().optional(),
  PAYSTACK_SUCCESS_URL: env.url().optional(),
  PAYSTACK_FAILURE_URL: env.url().optional(),
  CHECKOUT_SUCCESS_URL: env.url().optional(),
  CHECKOUT_CANCEL_URL: env.url().optional(),
  /**
   * Origins a client may send the payer back to (success_url / cancel_url). Those of
   * CHECKOUT_SUCCESS_URL and CHECKOUT_CANCEL_URL are allowed too; nothing else is.
   */
  ALLOWED_REDIRECT_ORIGINS: env.list().default([]),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Longest a user token may live from its iat, whatever its exp. */
  AUTH_JWT_MAX_AGE_SECONDS: env.positiveInt(24 * 3600),
  /** When set, user tokens must carry this aud / iss. */
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  /**
   * An OIDC provider's JWKS (e.g. https://issuer/.well-known/jwks.json): user tokens signed
   * RS256 or ES256 with one of its keys are accepted too. HS256 tokens keep AUTH_JWT_SECRET.
   */
  AUTH_JWKS_URL: env.url().optional(),
  /**
   * The user-token claim listing the user's roles (array of strings, or space-separated);
   * /api/v1 operator routes need "operator" in it. A dotted name is read as a path
   * (e.g. realm_access.roles for Keycloak) when no claim has that exact name.
   */
  AUTH_ROLES_CLAIM: z.string().min(1).default('roles'),
  /**
   * Jaeger's UI as the trader's browser reaches it (e.g. http://localhost:16686): a signal's
   * timeline links to <JAEGER_UI_URL>/trace/<trace id>. Unset: no link.
   */
  JAEGER_UI_URL: env.url().optional(),
  /**
   * Whose X-Forwarded-For is believed: a hop count or a list of addresses/subnets (or
   * proxy-addr's names: loopback, linklocal, uniquelocal). Never "true": any client could
   * then choose its own address and walk around the per-address limits.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine((v) => v.trim() !== 'true', 'true would believe any client; give the hop count of your proxies or their addresses')
    .refine(validTrustList, 'a hop count, or addresses/subnets separated by commas'),
  /** How long the WEBHOOKS stream keeps events (replay window); shared with billing. */
  WEBHOOK_RETENTION_HOURS: env.positiveInt(168),
  /** Longest wait for JetStream to confirm a webhook is stored; then 503 + Retry-After. */
  WEBHOOK_PUBLISH_TIMEOUT_MS: env.positiveInt(1000),
  /** Longest a client may take to send a request's headers (slow clients hold connections). */
  HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
  /** Most open client connections; more are closed at once. */
  HTTP_MAX_CONNECTIONS: env.positiveInt(10_000),
  /** Largest webhook body; larger ones get 413 before any work is done. */
  WEBHOOK_MAX_BYTES: env.positiveInt(1024 * 1024),
  /** Requests per minute per signed-in user on the payment-initiating routes. */
  USER_RATE_LIMIT_PER_MINUTE: env.positiveInt(20),
  /** Requests per minute per client address on the public webhook routes. */
  IP_RATE_LIMIT_PER_MINUTE: env.positiveInt(3000),
  /**
   * How often each replica adds its rate-limit hits to the shared counters in NATS KV (and
   * learns the others'). Shorter: closer to the limit across replicas, more KV writes.
   */
  RATE_LIMIT_SYNC_MS: env.positiveInt(250),
  /** Requests per minute per client address / per user on the TradingView webhook. */
  TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE: env.positiveInt(120),
  TRADINGVIEW_USER_RATE_LIMIT_PER_MINUTE: env.positiveInt(60),
  /** When true, only TRADINGVIEW_ALLOWED_IPS may post alerts (honours TRUST_PROXY). */
  TRADINGVIEW_IP_ALLOWLIST: env.bool(false),
  TRADINGVIEW_ALLOWED_IPS: env.list().default(['52.89.214.238', '34.212.75.30', '54.218.53.128', '52.32.178.7']),
  TRADINGVIEW_MAX_BYTES: env.positiveInt(16 * 1024),
  /** TradingView gives up after 3 s: answer by then, 202 if the order is still on its way. */
  TRADINGVIEW_WAIT_MS: env.positiveInt(2000),
  /**
   * Alerts this gateway may hold waiting for their outcome; past it (a burst) every stored
   * alert is answered 202 at once instead of at TRADINGVIEW_WAIT_MS.
   */
  TRADINGVIEW_MAX_WAITING: z.coerce.number().int().min(0).max(100_000).default(32),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export const loadGatewayConfig = (e: NodeJS.ProcessEnv = process.env): GatewayConfig =>
  loadConfig(gatewayConfigSchema, e);

function validTrustList(value: string): boolean {
  if (value === 'false' || /^\d+$/.test(value)) return true;
  try {
    proxyaddr.compile(value.split(',').map((v) => v.trim()));
    return true;
  } catch {
    return false;
  }
}

/** "false", a hop count, or a list of addresses/subnets, as Express takes it. */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
