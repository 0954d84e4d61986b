import type { Request } from 'express';
import { riskProfileFields } from '@tbot/common';
import { z } from 'zod';
import type { GatewayConfig } from '../../config';
import { ApiError, defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime } from '../paging';
import { withFieldErrors } from '../rpc-fields';

/** The alert message a trader pastes into TradingView (README "TradingView alerts"). */
export function messageTemplate(secret: string, strategy?: string): string {
  const message: Record<string, string> = {
    symbol: '{{ticker}}',
    action: '{{strategy.order.action}}',
    price: '{{close}}',
    quantity: '{{strategy.order.contracts}}',
    market_position: '{{strategy.market_position}}',
    id: '{{strategy.order.id}}-{{timenow}}',
    timestamp: '{{timenow}}',
    ...(strategy ? { strategy } : {}),
    secret,
  };
  return JSON.stringify(message, null, 2);
}

const SECRET_PLACEHOLDER = '<your secret: shown once when created or rotated>';

/** Where TradingView must post: PUBLIC_BASE_URL, else the address this request came to. */
export function publicBase(config: GatewayConfig, req: Request): string {
  return config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

const webhookUrl = (base: string, path: string) => new URL(path, base).toString();

const strategyId = z.string().regex(/^stg_[0-9a-f]{32}$/, 'must be a strategy id (stg_ and 32 hex digits)');
const idParams = z.object({ id: strategyId });

// Each as trading's StrategyDefaults / RiskOverrides (proto/trading/v1/trading.proto).
const defaultsSchema = z.strictObject({
  symbol: z.string().max(40).optional(),
  action: z.enum(['buy', 'sell', 'close', 'close_long', 'close_short', '']).optional(),
  direction: z.enum(['both', 'long_only', 'short_only', '']).optional(),
  quantity: z.number().positive().finite().optional(),
  sizeType: z.enum(['base', 'quote', 'percent_equity', 'risk_percent', '']).optional(),
  orderType: z.enum(['market', 'limit', '']).optional(),
});
// The risk profile's own rules (@tbot/common); a strategy cannot override the margin mode.
const overridesSchema = riskProfileFields.omit({ marginMode: true }).partial().strict();

const strategySchema = z.object({
  id: z.string(),
  name: z.string(),
  defaults: z.object({
    symbol: z.string(),
    action: z.string(),
    direction: z.string(),
    quantity: z.number().optional(),
    sizeType: z.string(),
    orderType: z.string(),
  }),
  riskOverrides: overridesSchema.strip(),
  enabled: z.boolean().meta({ description: 'false when its risk overrides switch trading off' }),
  webhookUrl: z.string(),
  messageTemplate: z.string().meta({ description: 'paste as the TradingView alert message; put the strategy secret in' }),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
});

type ProtoStrategy = {
  id: string;
  name: string;
  webhookPath: string;
  defaults?: { symbol: string; action: string; direction: string; quantity?: number; sizeType: string; orderType: string } | undefined;
  riskOverrides?: Record<string, unknown> | undefined;
  createdAt?: { seconds: bigint; nanos: number } | undefined;
  updatedAt?: { seconds: bigint; nanos: number } | undefined;
};

function strategyOut(s: ProtoStrategy, base: string, secret = SECRET_PLACEHOLDER): z.input<typeof strategySchema> {
  const d = s.defaults;
  const o = { ...(s.riskOverrides ?? {}) } as Record<string, unknown>;
  delete o.$typeName;
  return {
    id: s.id,
    name: s.name,
    defaults: { symbol: d?.symbol ?? '', action: d?.action ?? '', direction: d?.direction ?? '', quantity: d?.quantity, sizeType: d?.sizeType ?? '', orderType: d?.orderType ?? '' },
    riskOverrides: o,
    enabled: o.tradingEnabled !== false,
    webhookUrl: webhookUrl(base, s.webhookPath),
    messageTemplate: messageTemplate(secret),
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

const secretSchema = z.object({
  secret: z.string().meta({ description: 'shown once: goes in the alert body as "secret"' }),
  signingKey: z.string().meta({ description: 'shown once: HMAC-SHA256 key of X-Signature, for senders that sign' }),
  previousValidUntil: isoTime.optional().meta({ description: 'the previous secret works until then' }),
  webhookUrl: z.string(),
  messageTemplate: z.string().meta({ description: 'ready to paste, with the new secret in it' }),
});

/** TradingView setup: the webhook URLs, the message to paste, the secrets, and strategies. */
export function tradingViewApiRoutes({ clients, config }: ApiDeps): ApiRoute[] {
  const userUrl = (req: Request, userId: string) => webhookUrl(publicBase(config, req), `/api/tradingview/webhook/${userId}`);
  const findStrategy = async (userId: string, id: string) => {
    const { strategies } = await clients.trading.listStrategies({ userId });
    const s = strategies.find((x) => x.id === id);
    if (!s) throw new ApiError(404, 'not_found', 'no such strategy');
    return s;
  };
  const strategyBody = z.strictObject({
    name: z.string().trim().min(1).max(64),
    defaults: defaultsSchema.optional(),
    riskOverrides: overridesSchema.optional(),
  });

  return [
    defineRoute({
      method: 'get',
      path: '/tradingview',
      summary: 'Webhook URLs and ready-to-paste alert messages (default and per strategy)',
      tags: ['tradingview'],
      auth: 'user',
      response: z.object({ webhookUrl: z.string(), messageTemplate: z.string(), strategies: z.array(strategySchema) }),
      handler: async ({ userId, req }) => {
        const { strategies } = await clients.trading.listStrategies({ userId });
        const base = publicBase(config, req);
        return { webhookUrl: userUrl(req, userId), messageTemplate: messageTemplate(SECRET_PLACEHOLDER), strategies: strategies.map((s) => strategyOut(s, base)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tradingview/secret/rotate',
      summary: 'A new secret and signing key for the default webhook URL (shown once)',
      tags: ['tradingview'],
      auth: 'user',
      response: secretSchema,
      handler: async ({ userId, req }) => {
        const r = await clients.trading.rotateWebhookSecret({ userId });
        return { secret: r.secret, signingKey: r.signingKey, previousValidUntil: iso(r.previousValidUntil), webhookUrl: userUrl(req, userId), messageTemplate: messageTemplate(r.secret) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/strategies',
      summary: 'The user\u2019s strategies, oldest first',
      tags: ['strategies'],
      auth: 'user',
      response: z.object({ strategies: z.array(strategySchema) }),
      handler: async ({ userId, req }) => {
        const { strategies } = await clients.trading.listStrategies({ userId });
        return { strategies: strategies.map((s) => strategyOut(s, publicBase(config, req))) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/strategies',
      summary: 'Create a strategy: its own webhook URL, secret (shown once), defaults and risk overrides',
      tags: ['strategies'],
      auth: 'user',
      status: 201,
      body: strategyBody,
      response: z.object({ strategy: strategySchema, secret: z.string(), signingKey: z.string() }),
      handler: async ({ userId, body, req }) => {
        const r = await withFieldErrors(clients.trading.createStrategy({ userId, name: body.name, defaults: body.defaults, riskOverrides: body.riskOverrides }));
        return { strategy: strategyOut(r.strategy!, publicBase(config, req), r.secret), secret: r.secret, signingKey: r.signingKey };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/strategies/{id}',
      summary: 'One strategy',
      tags: ['strategies'],
      auth: 'user',
      params: idParams,
      response: strategySchema,
      handler: async ({ userId, params, req }) => strategyOut(await findStrategy(userId, params.id), publicBase(config, req)),
    }),
    defineRoute({
      method: 'patch',
      path: '/strategies/{id}',
      summary: 'Change a strategy: name; defaults and riskOverrides each replaced as a whole when sent',
      tags: ['strategies'],
      auth: 'user',
      params: idParams,
      body: strategyBody.partial(),
      response: strategySchema,
      handler: async ({ userId, params, body, req }) => {
        const s = await withFieldErrors(
          clients.trading.updateStrategy({ userId, strategyId: params.id, name: body.name ?? '', defaults: body.defaults, riskOverrides: body.riskOverrides }),
        );
        return strategyOut(s, publicBase(config, req));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/strategies/{id}',
      summary: 'Delete a strategy (its URL stops working; its signals and trades stay)',
      tags: ['strategies'],
      auth: 'user',
      params: idParams,
      status: 204,
      response: z.undefined(),
      handler: async ({ userId, params }) => {
        await clients.trading.deleteStrategy({ userId, strategyId: params.id });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/strategies/{id}/secret/rotate',
      summary: 'A new secret and signing key for one strategy (shown once)',
      tags: ['strategies'],
      auth: 'user',
      params: idParams,
      response: secretSchema,
      handler: async ({ userId, params, req }) => {
        const s = await findStrategy(userId, params.id);
        const r = await clients.trading.rotateStrategySecret({ userId, strategyId: params.id });
        return {
          secret: r.secret,
          signingKey: r.signingKey,
          previousValidUntil: iso(r.previousValidUntil),
          webhookUrl: webhookUrl(publicBase(config, req), s.webhookPath),
          messageTemplate: messageTemplate(r.secret),
        };
      },
    }),
  ];
}
