import { z } from 'zod';

/**
 * The rule for every field of a risk profile (proto trading.v1.RiskProfile, camelCase), in
 * one place: trading checks profiles and strategies' overrides with it, and the gateway's
 * API checks requests with it first (every bad field named at once) and documents it in
 * its OpenAPI document. Limits are optional here: "not set" means no limit.
 */
const positive = z.number().positive('must be greater than 0').finite();
const count = z.number().int().min(0);

export const UNIFIED_SYMBOL = /^[A-Z0-9]{1,15}\/[A-Z0-9]{1,10}(:[A-Z0-9]{1,10})?$/;
export const SIZING_MODES = ['fixed_base', 'fixed_quote', 'percent_equity', 'risk_percent'] as const;
export const MARGIN_MODES = ['cross', 'isolated'] as const;

/** The fields that are limits: absent (or null in the API) means no limit. */
export const riskLimitFields = {
  maxOrderNotional: positive,
  maxPositionNotional: positive,
  maxOpenPositions: count,
  maxOrdersPerMinute: count,
  maxOrdersPerDay: count,
  cooldownSeconds: count,
  dailyLossLimit: positive,
  maxLeverage: z.number().min(1, 'must be between 1 and 125').max(125, 'must be between 1 and 125'),
};

/** The fields every profile has. */
export const riskSettingFields = {
  tradingEnabled: z.boolean().meta({ description: 'kill switch: false refuses every order' }),
  allowedSymbols: z
    .array(z.string().regex(UNIFIED_SYMBOL, 'must be a unified symbol such as BTC/USDT or BTC/USDT:USDT'))
    .max(200, 'at most 200 symbols')
    .meta({ description: 'empty: every symbol' }),
  sizingMode: z.enum(SIZING_MODES),
  sizingValue: positive,
  allowAlertQuantity: z.boolean(),
  closeOppositeFirst: z.boolean(),
  marginMode: z.enum(MARGIN_MODES),
};

/** A whole profile as trading stores it. */
export const riskProfileFields = z.object({
  ...riskSettingFields,
  ...Object.fromEntries(Object.entries(riskLimitFields).map(([k, v]) => [k, v.optional()])),
} as typeof riskSettingFields & { [K in keyof typeof riskLimitFields]: z.ZodOptional<(typeof riskLimitFields)[K]> });

/** A percentage sizing value above 100 (of equity, or risked per trade) is a mistake. */
export function percentSizingIssue(p: { sizingMode?: string | undefined; sizingValue?: number | undefined }): string | undefined {
  const percent = p.sizingMode === 'percent_equity' || p.sizingMode === 'risk_percent';
  return percent && p.sizingValue !== undefined && p.sizingValue > 100 ? 'a percentage must be at most 100' : undefined;
}
