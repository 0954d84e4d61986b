import type { Alert } from './alert';
import { checkRisk, type RiskRule, type RiskState } from './risk';
import type { StoredProfile } from './risk-profiles';
import { sizeOrder, type MarketLimits } from './sizing';

/** One order of a signal: leg 0 is what the alert asked for, leg 1 closes a position first. */
export interface Leg {
  side: 'buy' | 'sell';
  baseAmount: number;
  /** Exchange units: base for spot, contracts for swaps. */
  amount: number;
  reduceOnly: boolean;
  leg: number;
}

export interface PlanMarket {
  symbol: string;
  type: 'spot' | 'swap';
  limits: MarketLimits;
}

export interface PlanInput {
  alert: Pick<Alert, 'action' | 'closeSide' | 'marketPosition' | 'sizeType' | 'quantity' | 'stopLoss' | 'leverage'>;
  profile: StoredProfile;
  /** The strategy's default quantity is in the alert: sized as if the profile allowed alert quantities. */
  quantityFromStrategy: boolean;
  /** Signed base amount held in the market (positive long). */
  position: number;
  market: PlanMarket;
  /** Entry price: the limit price, the alert's price or the last price. */
  price: number;
  /** Free quote balance, when sizing needs it (`needsEquity`). */
  equity?: number;
  /** The account's orders and positions, for the risk rules of an opening order (`isClosing` says when). */
  risk?: { state: RiskState; now: Date };
}

export type Plan =
  | { ok: true; legs: Leg[] }
  | { ok: false; code: 'no_position' | 'sizing_rejected' | 'risk_rejected'; message: string; rule?: RiskRule };

/** An alert that only closes (close, close_long/short, or a strategy's flat market position). */
export const isClosing = (alert: Pick<Alert, 'action' | 'marketPosition'>): boolean => alert.action === 'close' || alert.marketPosition === 'flat';

/** Whether sizing this alert needs the account's free balance (percentage sizing). */
export function needsEquity(alert: Pick<Alert, 'sizeType'>, profile: StoredProfile, quantityFromStrategy: boolean): boolean {
  const allowAlertQuantity = profile.allowAlertQuantity || quantityFromStrategy;
  return ['percent_equity', 'risk_percent'].includes(alert.sizeType && allowAlertQuantity ? alert.sizeType : profile.sizingMode);
}

/** A reduce-only order for the whole position (leg 1 when it precedes the alert's own order). */
export function closingLeg(position: number, market: PlanMarket, leg: number): Leg {
  const baseAmount = Math.abs(position);
  const amount = market.type === 'swap' ? baseAmount / (market.limits.contractSize ?? 1) : baseAmount;
  return { side: position > 0 ? 'sell' : 'buy', baseAmount, amount: Number(amount.toPrecision(12)), reduceOnly: true, leg };
}

/**
 * The orders a signal becomes, decided without I/O:
 * - a close flattens the position it names (both sides by default) or is refused as
 *   no_position;
 * - on swaps, a buy while short (or a sell while long) first closes that position when the
 *   profile says so (closeOppositeFirst); spot has no short to close;
 * - the alert's own order is sized by the profile (or the alert's quantity where allowed)
 *   and checked against the risk rules; closing orders pass every rule but the kill switch,
 *   which the caller checks before.
 */
export function planOrder(input: PlanInput): Plan {
  const { alert, profile, position, market, price } = input;
  if (isClosing(alert)) {
    const wanted = alert.closeSide ?? 'both';
    const side: 'long' | 'short' | undefined = position > 0 ? 'long' : position < 0 ? 'short' : undefined;
    if (!side || (wanted !== 'both' && wanted !== side)) {
      return { ok: false, code: 'no_position', message: `no ${wanted === 'both' ? '' : `${wanted} `}position in ${market.symbol} to close` };
    }
    return { ok: true, legs: [closingLeg(position, market, 1)] };
  }
  const legs: Leg[] = [];
  const side = alert.action as 'buy' | 'sell';
  const opposite = market.type === 'swap' && ((side === 'buy' && position < 0) || (side === 'sell' && position > 0));
  if (opposite && profile.closeOppositeFirst) legs.push(closingLeg(position, market, 1));
  const size = sizeOrder({
    mode: profile.sizingMode,
    value: profile.sizingValue,
    allowAlertQuantity: profile.allowAlertQuantity || input.quantityFromStrategy,
    alertQuantity: alert.quantity,
    alertSizeType: alert.sizeType,
    price,
    stopLoss: alert.stopLoss,
    equity: input.equity,
    market: market.limits,
  });
  if (!size.ok) return { ok: false, code: 'sizing_rejected', message: size.reason };
  if (input.risk) {
    const decision = checkRisk(profile, input.risk.state, {
      symbol: market.symbol,
      notional: size.notional,
      leverage: alert.leverage,
      reduceOnly: false,
      now: input.risk.now,
    });
    if (!decision.ok) return { ok: false, code: 'risk_rejected', message: decision.message, rule: decision.rule };
  }
  legs.push({ side, baseAmount: size.baseAmount, amount: size.amount, reduceOnly: false, leg: 0 });
  return { ok: true, legs };
}
