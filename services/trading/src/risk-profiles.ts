import { create } from '@bufbuild/protobuf';
import { percentSizingIssue, riskProfileFields, RiskProfileSchema, type RiskProfile as RiskProfileMessage } from '@tbot/common';
import type { TradingModels } from './models';
import { DEFAULT_RISK_PROFILE, type RiskProfile } from './risk';
import type { SizingMode } from './sizing';

/** The risk limits plus how orders are sized. */
export interface StoredProfile extends RiskProfile {
  sizingMode: SizingMode;
  sizingValue: number;
  allowAlertQuantity: boolean;
  closeOppositeFirst: boolean;
  marginMode: MarginMode;
}

export type MarginMode = 'cross' | 'isolated';

export const DEFAULT_PROFILE: StoredProfile = {
  ...DEFAULT_RISK_PROFILE,
  sizingMode: 'fixed_quote',
  sizingValue: 100,
  allowAlertQuantity: false,
  closeOppositeFirst: true,
  marginMode: 'cross',
};

/** Each field's rule (shared with the gateway's API and strategies' risk overrides, strategy-input.ts). */
export const profileFields = riskProfileFields;
const profileInput = profileFields.superRefine((p, ctx) => {
  const issue = percentSizingIssue(p);
  if (issue) ctx.addIssue({ code: 'custom', path: ['sizingValue'], message: issue });
});

export function validateProfile(m: RiskProfileMessage): { ok: true; profile: StoredProfile } | { ok: false; message: string } {
  const r = profileInput.safeParse({
    tradingEnabled: m.tradingEnabled,
    allowedSymbols: m.allowedSymbols,
    maxOrderNotional: m.maxOrderNotional,
    maxPositionNotional: m.maxPositionNotional,
    maxOpenPositions: m.maxOpenPositions,
    maxOrdersPerMinute: m.maxOrdersPerMinute,
    maxOrdersPerDay: m.maxOrdersPerDay,
    cooldownSeconds: m.cooldownSeconds,
    dailyLossLimit: m.dailyLossLimit,
    maxLeverage: m.maxLeverage,
    sizingMode: m.sizingMode || DEFAULT_PROFILE.sizingMode,
    sizingValue: m.sizingValue || DEFAULT_PROFILE.sizingValue,
    allowAlertQuantity: m.allowAlertQuantity,
    closeOppositeFirst: m.closeOppositeFirst,
    marginMode: m.marginMode || DEFAULT_PROFILE.marginMode,
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, message: `${issue?.path.join('.') || 'profile'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, profile: r.data as StoredProfile };
}

export async function loadRiskProfile(models: TradingModels, userId: string): Promise<StoredProfile> {
  const doc = await models.RiskProfile.findById(userId).lean();
  if (!doc) return DEFAULT_PROFILE;
  const opt = (v: number | null | undefined) => (v === null || v === undefined ? undefined : v);
  return {
    tradingEnabled: doc.tradingEnabled,
    allowedSymbols: doc.allowedSymbols ?? [],
    maxOrderNotional: opt(doc.maxOrderNotional),
    maxPositionNotional: opt(doc.maxPositionNotional),
    maxOpenPositions: opt(doc.maxOpenPositions),
    maxOrdersPerMinute: opt(doc.maxOrdersPerMinute),
    maxOrdersPerDay: opt(doc.maxOrdersPerDay),
    cooldownSeconds: opt(doc.cooldownSeconds),
    dailyLossLimit: opt(doc.dailyLossLimit),
    maxLeverage: opt(doc.maxLeverage),
    sizingMode: doc.sizingMode as SizingMode,
    sizingValue: doc.sizingValue,
    allowAlertQuantity: doc.allowAlertQuantity ?? false,
    closeOppositeFirst: doc.closeOppositeFirst ?? true,
    marginMode: doc.marginMode === 'isolated' ? 'isolated' : 'cross',
  };
}

export async function saveRiskProfile(models: TradingModels, userId: string, p: StoredProfile): Promise<void> {
  await models.RiskProfile.replaceOne(
    { _id: userId },
    {
      _id: userId,
      ...p,
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v === undefined ? null : v])),
      updatedAt: new Date(),
    },
    { upsert: true },
  );
}

export function profileMessage(p: StoredProfile): RiskProfileMessage {
  return create(RiskProfileSchema, {
    tradingEnabled: p.tradingEnabled,
    allowedSymbols: p.allowedSymbols,
    maxOrderNotional: p.maxOrderNotional,
    maxPositionNotional: p.maxPositionNotional,
    maxOpenPositions: p.maxOpenPositions,
    maxOrdersPerMinute: p.maxOrdersPerMinute,
    maxOrdersPerDay: p.maxOrdersPerDay,
    cooldownSeconds: p.cooldownSeconds,
    dailyLossLimit: p.dailyLossLimit,
    maxLeverage: p.maxLeverage,
    sizingMode: p.sizingMode,
    sizingValue: p.sizingValue,
    allowAlertQuantity: p.allowAlertQuantity,
    closeOppositeFirst: p.closeOppositeFirst,
    marginMode: p.marginMode,
  });
}
