import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { withFieldErrors } from '../rpc-fields';

// The rules of trading's risk-profiles.ts, checked here first so every bad field gets its
// own message at once (trading stops at the first).
const positive = z.number().positive('must be greater than 0').finite();
const count = z.number().int().min(0);
const limit = <T extends z.ZodType>(s: T) => s.nullable().meta({ description: 'null: no limit' });
const SIZING = ['fixed_base', 'fixed_quote', 'percent_equity', 'risk_percent'] as const;

const profileShape = {
  tradingEnabled: z.boolean().meta({ description: 'kill switch: false refuses every order' }),
  allowedSymbols: z
    .array(z.string().regex(/^[A-Z0-9]{1,15}\/[A-Z0-9]{1,10}(:[A-Z0-9]{1,10})?$/, 'must be a unified symbol such as BTC/USDT or BTC/USDT:USDT'))
    .max(200)
    .meta({ description: 'empty: every symbol' }),
  maxOrderNotional: limit(positive),
  maxPositionNotional: limit(positive),
  maxOpenPositions: limit(count),
  maxOrdersPerMinute: limit(count),
  maxOrdersPerDay: limit(count),
  cooldownSeconds: limit(count),
  dailyLossLimit: limit(positive),
  maxLeverage: limit(z.number().min(1, 'must be between 1 and 125').max(125, 'must be between 1 and 125')),
  sizingMode: z.enum(SIZING),
  sizingValue: positive,
  allowAlertQuantity: z.boolean(),
  closeOppositeFirst: z.boolean(),
  marginMode: z.enum(['cross', 'isolated']),
};
const profileSchema = z.object(profileShape);
type Profile = z.output<typeof profileSchema>;

const putBody = z
  .strictObject(profileShape)
  .partial()
  .superRefine((p, ctx) => {
    if ((p.sizingMode === 'percent_equity' || p.sizingMode === 'risk_percent') && p.sizingValue !== undefined && p.sizingValue > 100) {
      ctx.addIssue({ code: 'custom', path: ['sizingValue'], message: 'a percentage must be at most 100' });
    }
  });

type ProtoProfile = {
  tradingEnabled: boolean;
  allowedSymbols: string[];
  maxOrderNotional?: number;
  maxPositionNotional?: number;
  maxOpenPositions?: number;
  maxOrdersPerMinute?: number;
  maxOrdersPerDay?: number;
  cooldownSeconds?: number;
  dailyLossLimit?: number;
  maxLeverage?: number;
  sizingMode: string;
  sizingValue: number;
  allowAlertQuantity: boolean;
  closeOppositeFirst: boolean;
  marginMode: string;
};

const LIMITS = ['maxOrderNotional', 'maxPositionNotional', 'maxOpenPositions', 'maxOrdersPerMinute', 'maxOrdersPerDay', 'cooldownSeconds', 'dailyLossLimit', 'maxLeverage'] as const;

function profileOut(p: ProtoProfile): Profile {
  const out = {
    tradingEnabled: p.tradingEnabled,
    allowedSymbols: p.allowedSymbols,
    sizingMode: (SIZING as readonly string[]).includes(p.sizingMode) ? (p.sizingMode as Profile['sizingMode']) : 'fixed_quote',
    sizingValue: p.sizingValue,
    allowAlertQuantity: p.allowAlertQuantity,
    closeOppositeFirst: p.closeOppositeFirst,
    marginMode: p.marginMode === 'isolated' ? 'isolated' : 'cross',
  } as Profile;
  for (const k of LIMITS) out[k] = p[k] ?? null;
  return out;
}

/** The risk profile: read, and update with one message per bad field. */
export function riskProfileRoutes({ clients }: ApiDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/risk-profile',
      summary: 'The risk limits and order sizing',
      tags: ['risk'],
      auth: 'user',
      response: profileSchema,
      handler: async ({ userId }) => profileOut(await clients.trading.getRiskProfile({ userId })),
    }),
    defineRoute({
      method: 'put',
      path: '/risk-profile',
      summary: 'Update the risk profile: fields left out keep their value, null removes a limit',
      tags: ['risk'],
      auth: 'user',
      body: putBody,
      response: profileSchema,
      handler: async ({ userId, body }) => {
        const merged = { ...profileOut(await clients.trading.getRiskProfile({ userId })), ...body };
        const profile: Record<string, unknown> = { ...merged };
        for (const k of LIMITS) if (merged[k] === null) delete profile[k];
        return profileOut(await withFieldErrors(clients.trading.setRiskProfile({ userId, profile })));
      },
    }),
  ];
}
