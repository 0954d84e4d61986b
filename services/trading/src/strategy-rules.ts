/**
 * What a strategy changes about one of its signals: pure functions only.
 *
 * A strategy's defaults fill what the alert leaves out (applyStrategyDefaults, run between
 * parsing the message and completing it, see signal-intake.ts), and its risk overrides
 * replace values of the user's risk profile for its signals (effectiveProfile).
 */
import type { AlertAction, PartialAlert, SizeType } from './alert';
import type { StoredProfile } from './risk-profiles';

export type Direction = 'both' | 'long_only' | 'short_only';

export interface StrategyDefaults {
  symbol?: string;
  action?: AlertAction;
  /** for action close: which position */
  closeSide?: 'long' | 'short' | 'both';
  direction?: Direction;
  quantity?: number;
  sizeType?: SizeType;
  orderType?: 'market' | 'limit';
}

/** Values that replace the profile's for the strategy's signals; absent keeps the profile's. */
export type RiskOverrides = Partial<StoredProfile>;

export interface StrategyRules {
  defaults: StrategyDefaults;
  riskOverrides: RiskOverrides;
}

export type FilledField = 'symbol' | 'action' | 'quantity' | 'size_type' | 'order_type' | 'direction';

export interface WithDefaults {
  alert: PartialAlert;
  /** What the strategy supplied or changed, for the signal's record. */
  filled: FilledField[];
  /**
   * The quantity is the strategy's own setting, not the message's: it is used without the
   * profile's allow_alert_quantity (which exists to distrust what an alert says).
   */
  quantityFromStrategy: boolean;
}

/**
 * Fills what the message leaves out with the strategy's defaults and applies its side rule.
 * `alertQuantityAccepted` is the effective profile's allow_alert_quantity: a quantity the
 * profile would ignore counts as left out, so the strategy's quantity applies instead of the
 * profile's sizing. With no strategy (the user's default URL) the alert is unchanged.
 */
export function applyStrategyDefaults(
  partial: PartialAlert,
  strategy: StrategyRules | null,
  opts: { alertQuantityAccepted: boolean },
): WithDefaults {
  if (strategy === null) return { alert: partial, filled: [], quantityFromStrategy: false };
  const d = strategy.defaults;
  const alert: PartialAlert = { ...partial };
  const filled: FilledField[] = [];

  if (alert.symbol === undefined && d.symbol !== undefined) {
    alert.symbol = d.symbol;
    filled.push('symbol');
  }
  if (alert.action === undefined && d.action !== undefined) {
    alert.action = d.action;
    if (d.action === 'close') alert.closeSide = d.closeSide ?? 'both';
    filled.push('action');
  }
  // Side rule, as long-only tools read alerts: the opposite side only ever exits. A strategy
  // reversing long → short in TradingView sends "sell"; a long-only account must flatten, not go short.
  const exitOnly = d.direction === 'long_only' ? 'sell' : d.direction === 'short_only' ? 'buy' : undefined;
  if (exitOnly !== undefined && alert.action === exitOnly) {
    alert.action = 'close';
    alert.closeSide = d.direction === 'long_only' ? 'long' : 'short';
    filled.push('direction');
  }

  let quantityFromStrategy = false;
  if (alert.quantity !== undefined && !opts.alertQuantityAccepted) {
    delete alert.quantity;
    delete alert.sizeType;
  }
  if (alert.quantity === undefined && d.quantity !== undefined) {
    alert.quantity = d.quantity;
    alert.sizeType = d.sizeType ?? 'base';
    quantityFromStrategy = true;
    filled.push('quantity');
  } else if (alert.quantity !== undefined && alert.sizeType === undefined && d.sizeType !== undefined) {
    alert.sizeType = d.sizeType;
    filled.push('size_type');
  }
  if (alert.orderType === undefined && d.orderType !== undefined) {
    alert.orderType = d.orderType;
    filled.push('order_type');
  }
  return { alert, filled, quantityFromStrategy };
}

/**
 * The profile a strategy's signals are checked against: the override's values replace the
 * profile's (stricter or looser: both are the user's own settings), except the kill switch,
 * which a strategy can only switch off. An empty allowed-symbols override keeps the profile's.
 */
export function effectiveProfile(profile: StoredProfile, overrides: RiskOverrides | null): StoredProfile {
  if (!overrides) return profile;
  const merged: StoredProfile = { ...profile };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof StoredProfile, unknown]>) {
    if (value === undefined || value === null) continue;
    if (key === 'allowedSymbols' && Array.isArray(value) && value.length === 0) continue;
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  merged.tradingEnabled = profile.tradingEnabled && overrides.tradingEnabled !== false;
  return merged;
}
