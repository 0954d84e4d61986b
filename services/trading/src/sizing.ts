/**
 * Order sizing: turns the user's sizing profile (or the alert's own quantity, when the user
 * allows it) into an amount the exchange will accept.
 *
 * Amounts are always rounded DOWN to the market's step: rounding up would spend more than the
 * user configured or risk more than the stop allows. When the rounded amount cannot be traded
 * the order is refused with the numbers involved, never bumped up to the market minimum.
 */

export type SizingMode = 'fixed_base' | 'fixed_quote' | 'percent_equity' | 'risk_percent';

export interface MarketLimits {
  type: 'spot' | 'swap';
  amountStep: number;
  minAmount?: number;
  minCost?: number;
  contractSize?: number /* base per contract, swaps */;
}

export interface SizingInput {
  mode: SizingMode;
  value: number; // base qty | quote amount | percent of equity | percent of equity risked
  allowAlertQuantity: boolean;
  alertQuantity?: number;
  alertSizeType?: 'base' | 'quote' | 'percent_equity' | 'risk_percent';
  price: number;
  stopLoss?: number;
  equity?: number;
  market: MarketLimits;
}

export type SizingResult =
  | { ok: true; amount: number /* in exchange units: base for spot, contracts for swap */; baseAmount: number; notional: number }
  | { ok: false; reason: string };

const MODE_OF_SIZE_TYPE: Record<NonNullable<SizingInput['alertSizeType']>, SizingMode> = {
  base: 'fixed_base',
  quote: 'fixed_quote',
  percent_equity: 'percent_equity',
  risk_percent: 'risk_percent',
};

const isPositive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** Numbers in messages without binary noise such as 0.30000000000000004. */
export function fmt(n: number): string {
  return Number.isFinite(n) ? String(Number(n.toPrecision(12))) : String(n);
}

/** Digits after the decimal point of a step such as 0.001, 1e-8 or 2.5e-7. */
export function decimalsOf(step: number): number {
  const s = String(step);
  const exp = /e([+-]\d+)$/i.exec(s);
  const mantissa = exp ? s.slice(0, exp.index) : s;
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, fraction - (exp ? Number(exp[1]) : 0));
}

/**
 * Rounds down to a multiple of `step`. Binary floats make 0.1 + 0.2 = 0.30000000000000004 and
 * 0.7 - 0.4 = 0.29999999999999993; a plain floor of the latter at step 0.1 would lose a whole
 * step. The tolerance absorbs such representation error: 1e-9 of a step for ordinary
 * quotients, and a few units in the last place (4e-15 relative) for huge ones, where 1e-9 is
 * below the float resolution; capped at 1e-3 of a step so it can never add a step. The final
 * toFixed removes the noise that multiplying back by the step introduces.
 */
export function floorToStep(x: number, step: number): number {
  const q = x / step;
  const n = Math.floor(q + Math.min(1e-3, 1e-9 + Math.abs(q) * 4e-15));
  return Number((n * step).toFixed(decimalsOf(step)));
}

export function sizeOrder(input: SizingInput): SizingResult {
  const { price, market } = input;
  if (!isPositive(price)) return { ok: false, reason: `price must be a positive number, got ${fmt(price)}` };
  if (!isPositive(market.amountStep)) {
    return { ok: false, reason: `market amount step must be a positive number, got ${fmt(market.amountStep)}` };
  }

  // The alert's own size wins only when the user opted in: otherwise anyone able to edit the
  // TradingView alert (or who learnt the webhook secret) could size orders past the profile.
  const fromAlert = input.allowAlertQuantity && input.alertQuantity !== undefined;
  const mode: SizingMode = fromAlert ? MODE_OF_SIZE_TYPE[input.alertSizeType ?? 'base'] : input.mode;
  const value = fromAlert ? (input.alertQuantity as number) : input.value;
  const source = fromAlert ? 'alert quantity' : 'sizing value';
  if (!isPositive(value)) return { ok: false, reason: `${source} must be a positive number, got ${fmt(value)}` };

  let base: number;
  switch (mode) {
    case 'fixed_base':
      base = value;
      break;
    case 'fixed_quote':
      base = value / price;
      break;
    case 'percent_equity':
    case 'risk_percent': {
      // Above 100 % is almost certainly a unit mistake (0.5 meant as 50 %, or a quote amount).
      // Leverage is meant to come from the leverage setting, not from a percentage over 100.
      if (value > 100) return { ok: false, reason: `${mode} ${source} ${fmt(value)} is above 100 %` };
      const equity = input.equity;
      if (!isPositive(equity)) {
        return { ok: false, reason: `${mode} sizing needs the account equity, got ${equity === undefined ? 'none' : fmt(equity)}` };
      }
      const budget = (equity * value) / 100;
      if (mode === 'percent_equity') {
        base = budget / price;
        break;
      }
      const stop = input.stopLoss;
      if (!isPositive(stop)) {
        return { ok: false, reason: `risk_percent sizing needs a stop loss, got ${stop === undefined ? 'none' : fmt(stop)}` };
      }
      const distance = Math.abs(price - stop);
      // Relative tolerance: a stop within float noise of the price would size an unbounded order.
      if (distance <= price * 1e-9) {
        return { ok: false, reason: `risk_percent sizing needs a stop loss different from the price ${fmt(price)}, got ${fmt(stop)}` };
      }
      base = budget / distance;
      break;
    }
  }

  let amount: number;
  let baseAmount: number;
  let unit: string;
  if (market.type === 'swap') {
    // Guessing 1 base per contract would be off by orders of magnitude on most OKX swaps
    // (e.g. 0.01 BTC per BTC-USDT-SWAP contract).
    if (!isPositive(market.contractSize)) {
      return { ok: false, reason: `swap market has no valid contract size, got ${market.contractSize === undefined ? 'none' : fmt(market.contractSize)}` };
    }
    amount = floorToStep(base / market.contractSize, market.amountStep);
    baseAmount = Number((amount * market.contractSize).toFixed(decimalsOf(market.amountStep) + decimalsOf(market.contractSize)));
    unit = 'contracts';
  } else {
    amount = floorToStep(base, market.amountStep);
    baseAmount = amount;
    unit = 'base';
  }
  const notional = baseAmount * price;

  if (amount <= 0) {
    return {
      ok: false,
      reason: `order size ${fmt(market.type === 'swap' ? base / (market.contractSize as number) : base)} ${unit} rounds down to 0 at amount step ${fmt(market.amountStep)}`,
    };
  }
  // The tolerances keep a value equal to the minimum (up to float noise in notional) tradable.
  if (market.minAmount !== undefined && amount < market.minAmount * (1 - 1e-9)) {
    return { ok: false, reason: `order amount ${fmt(amount)} ${unit} is below the market minimum ${fmt(market.minAmount)}` };
  }
  if (market.minCost !== undefined && notional < market.minCost * (1 - 1e-9)) {
    return { ok: false, reason: `order notional ${fmt(notional)} is below the market minimum cost ${fmt(market.minCost)}` };
  }
  return { ok: true, amount, baseAmount, notional };
}
