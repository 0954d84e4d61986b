import { percentSizingIssue, riskLimitFields, riskSettingFields, SIZING_MODES } from '@tbot/common';
import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { withFieldErrors } from '../rpc-fields';

// Trading's own rules (@tbot/common risk-profile-rules.ts), checked here first so every bad
// field gets its own message at once (trading stops at the first).
const limit = <T extends z.ZodType>(s: T) => s.nullable().meta({ description: 'null: no limit' });

const profileShape = {
  ...riskSettingFields,
  ...(Object.fromEntries(Object.entries(riskLimitFields).map(([k, v]) => [k, limit(v)])) as {
    [K in keyof typeof riskLimitFields]: z.ZodNullable<(typeof riskLimitFields)[K]>;
  }),
};
const profileSchema = z.object(profileShape);
type Profile = z.output<typeof profileSchema>;

const putBody = z
  .strictObject(profileShape)
  .partial()
  .superRefine((p, ctx) => {
    const issue = percentSizingIssue(p);
    if (issue) ctx.addIssue({ code: 'custom', path: ['sizingValue'], message: issue });
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
    sizingMode: (SIZING_MODES as readonly string[]).includes(p.sizingMode) ? (p.sizingMode as Profile['sizingMode']) : 'fixed_quote',
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
