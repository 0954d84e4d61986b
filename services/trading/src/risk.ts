/**
 * Per-user risk limits, checked before every order.
 *
 * Comparisons are written as "allowed when value is within the limit" (`!(value <= limit)`
 * blocks) so that a NaN from a bad state read or a broken price blocks the order instead of
 * slipping through every check.
 */

export interface RiskProfile {
  tradingEnabled: boolean;
  allowedSymbols: string[] /* unified symbols; empty = all */;
  maxOrderNotional?: number;
  maxPositionNotional?: number /* per symbol */;
  maxOpenPositions?: number;
  maxOrdersPerMinute?: number;
  maxOrdersPerDay?: number;
  cooldownSeconds?: number /* per symbol */;
  dailyLossLimit?: number /* quote currency, positive number */;
  maxLeverage?: number;
}

export interface RiskState {
  ordersLastMinute: number;
  ordersToday: number;
  lastOrderAt: Record<string, Date> /* by symbol */;
  positions: Array<{ symbol: string; notional: number /* absolute */ }>;
  realizedPnlToday: number /* negative = loss */;
}

export interface OrderIntent {
  symbol: string;
  notional: number;
  leverage?: number;
  reduceOnly: boolean;
  now: Date;
}

export type RiskRule =
  | 'trading_disabled'
  | 'symbol_not_allowed'
  | 'max_order_notional'
  | 'max_position_notional'
  | 'max_open_positions'
  | 'max_orders_per_minute'
  | 'max_orders_per_day'
  | 'cooldown'
  | 'daily_loss_limit'
  | 'max_leverage';

export type RiskDecision = { ok: true } | { ok: false; rule: RiskRule; message: string };

/** What a new user gets: small enough that a misconfigured alert cannot do much harm. */
export const DEFAULT_RISK_PROFILE: RiskProfile = Object.freeze({
  tradingEnabled: true,
  // Frozen too: the default is shared, and a caller pushing into it would change every user's profile.
  allowedSymbols: Object.freeze([]) as unknown as string[],
  maxOrderNotional: 1000,
  maxPositionNotional: 5000,
  maxOpenPositions: 5,
  maxOrdersPerMinute: 10,
  maxOrdersPerDay: 100,
  cooldownSeconds: 0,
  maxLeverage: 5,
});

const fmt = (n: number): string => (Number.isFinite(n) ? String(Number(n.toPrecision(12))) : String(n));

const block = (rule: RiskRule, message: string): RiskDecision => ({ ok: false, rule, message: `${rule}: ${message}` });

// Symbols are compared case-insensitively: profiles are typed in by people.
const sameSymbol = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase();

export function checkRisk(profile: RiskProfile, state: RiskState, intent: OrderIntent): RiskDecision {
  // The kill switch is the one rule that also stops closing orders: it exists to stop the bot
  // touching the account at all, e.g. while the user handles things by hand.
  if (!profile.tradingEnabled) return block('trading_disabled', 'trading is switched off for this account');

  // Every other limit exists to bound exposure, and closing only ever reduces it: blocking a
  // close because of, say, the daily loss limit would keep a losing position open.
  if (intent.reduceOnly) return { ok: true };

  const { symbol } = intent;
  if (profile.allowedSymbols.length > 0 && !profile.allowedSymbols.some((s) => sameSymbol(s, symbol))) {
    return block('symbol_not_allowed', `${symbol} is not in the allowed symbols (${profile.allowedSymbols.join(', ')})`);
  }

  const lossLimit = profile.dailyLossLimit;
  if (lossLimit !== undefined) {
    // Halted once the loss reaches the limit exactly: the limit is the most the user accepted to lose.
    const loss = -state.realizedPnlToday;
    if (!(loss < Math.abs(lossLimit))) {
      return block('daily_loss_limit', `realized loss today ${fmt(loss)} has reached the limit ${fmt(Math.abs(lossLimit))}; trading resumes tomorrow`);
    }
  }

  if (profile.maxOrdersPerDay !== undefined && !(state.ordersToday < profile.maxOrdersPerDay)) {
    return block('max_orders_per_day', `${fmt(state.ordersToday)} orders today, the limit is ${fmt(profile.maxOrdersPerDay)}`);
  }

  if (profile.maxOrdersPerMinute !== undefined && !(state.ordersLastMinute < profile.maxOrdersPerMinute)) {
    return block('max_orders_per_minute', `${fmt(state.ordersLastMinute)} orders in the last minute, the limit is ${fmt(profile.maxOrdersPerMinute)}`);
  }

  const cooldown = profile.cooldownSeconds;
  if (cooldown !== undefined && cooldown > 0) {
    const last = lastOrderFor(state.lastOrderAt, symbol);
    if (last !== undefined) {
      const elapsedMs = intent.now.getTime() - last.getTime();
      // Exactly at the boundary counts as cooled down; before it (or a NaN date) does not.
      if (!(elapsedMs >= cooldown * 1000)) {
        const remaining = Math.max(0, cooldown * 1000 - elapsedMs) / 1000;
        return block('cooldown', `last ${symbol} order ${fmt(elapsedMs / 1000)} s ago, the cooldown is ${fmt(cooldown)} s (${fmt(remaining)} s left)`);
      }
    }
  }

  if (profile.maxLeverage !== undefined && intent.leverage !== undefined && !(intent.leverage <= profile.maxLeverage)) {
    return block('max_leverage', `leverage ${fmt(intent.leverage)}x exceeds the limit ${fmt(profile.maxLeverage)}x`);
  }

  if (profile.maxOrderNotional !== undefined && !(intent.notional <= profile.maxOrderNotional)) {
    return block('max_order_notional', `order notional ${fmt(intent.notional)} exceeds the limit ${fmt(profile.maxOrderNotional)}`);
  }

  const open = state.positions.filter((p) => !(p.notional === 0));
  const existing = open.filter((p) => sameSymbol(p.symbol, symbol));

  if (profile.maxPositionNotional !== undefined) {
    // Hedge mode can hold a long and a short on one symbol; both count as exposure.
    const current = existing.reduce((sum, p) => sum + Math.abs(p.notional), 0);
    const after = current + intent.notional;
    if (!(after <= profile.maxPositionNotional)) {
      return block('max_position_notional', `${symbol} position would be ${fmt(after)} (${fmt(current)} open + ${fmt(intent.notional)} new), the limit is ${fmt(profile.maxPositionNotional)}`);
    }
  }

  // Adding to a position already open does not open a new one, so it is not counted.
  if (profile.maxOpenPositions !== undefined && existing.length === 0) {
    const symbols = new Set(open.map((p) => p.symbol.toUpperCase()));
    if (!(symbols.size < profile.maxOpenPositions)) {
      return block('max_open_positions', `${symbols.size} positions open, the limit is ${fmt(profile.maxOpenPositions)}`);
    }
  }

  return { ok: true };
}

function lastOrderFor(bySymbol: Record<string, Date>, symbol: string): Date | undefined {
  // Own properties only: a symbol spelt like an Object.prototype member must not find a function.
  let latest: Date | undefined;
  for (const [key, at] of Object.entries(bySymbol)) {
    if (!sameSymbol(key, symbol) || !(at instanceof Date)) continue;
    if (latest === undefined || !(at.getTime() <= latest.getTime())) latest = at;
  }
  return latest;
}
