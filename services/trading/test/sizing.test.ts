import { decimalsOf, floorToStep, sizeOrder, type MarketLimits, type SizingInput, type SizingResult } from '../src/sizing';

const SPOT: MarketLimits = { type: 'spot', amountStep: 0.001 };
// BTC-USDT-SWAP: 0.01 BTC per contract, lot size 0.01 contracts on OKX.
const SWAP: MarketLimits = { type: 'swap', amountStep: 1, contractSize: 0.01 };

function input(over: Partial<SizingInput>): SizingInput {
  return { mode: 'fixed_base', value: 1, allowAlertQuantity: false, price: 100, market: SPOT, ...over };
}

function ok(r: SizingResult) {
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r;
}

function reason(r: SizingResult): string {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
  return r.reason;
}

describe('decimalsOf', () => {
  it.each([
    [1, 0],
    [10, 0],
    [0.1, 1],
    [0.001, 3],
    [0.0005, 4],
    [1e-8, 8],
    [2.5e-7, 8],
    [1.5, 1],
  ])('%d has %d decimals', (step, d) => {
    expect(decimalsOf(step)).toBe(d);
  });
});

describe('floorToStep', () => {
  it.each([
    [0.1 + 0.2, 0.1, 0.3], // 0.30000000000000004
    [0.7 - 0.4, 0.1, 0.3], // 0.29999999999999993: a naive floor gives 0.2
    [0.3, 0.1, 0.3], // 0.3 / 0.1 = 2.9999999999999996
    [1.005, 0.001, 1.005],
    [4.35, 0.01, 4.35], // 4.35 / 0.01 = 434.99999999999994
    [1.0019, 0.001, 1.001],
    [1.9999, 0.001, 1.999],
    [0.0009999, 0.001, 0],
    [2.9, 1, 2],
    [3, 1, 3],
    [123456789.123456, 0.00001, 123456789.12345], // a huge quotient: 12345678912345.6 steps
    [1e15 + 0.5, 1, 1e15],
    [0.000123456, 1e-8, 0.00012345],
    [7.5, 2.5, 7.5],
    [9.9, 2.5, 7.5],
  ])('floor(%d, step %d) = %d', (x, step, expected) => {
    expect(floorToStep(x, step)).toBe(expected);
  });

  it('never rounds up by a visible amount', () => {
    for (let i = 1; i < 2000; i++) {
      const x = i * 0.0007;
      const r = floorToStep(x, 0.001);
      expect(r).toBeLessThanOrEqual(x + 1e-12);
      expect(x - r).toBeLessThan(0.001 + 1e-12);
    }
  });
});

describe('sizeOrder', () => {
  describe('modes on spot', () => {
    it('fixed_base uses the value as the base amount', () => {
      expect(ok(sizeOrder(input({ mode: 'fixed_base', value: 0.5, price: 37000 })))).toEqual({
        ok: true,
        amount: 0.5,
        baseAmount: 0.5,
        notional: 18500,
      });
    });

    it('fixed_quote divides the quote amount by the price', () => {
      expect(ok(sizeOrder(input({ mode: 'fixed_quote', value: 100, price: 37000 })))).toMatchObject({
        amount: 0.002, // 0.0027027… rounded down
        baseAmount: 0.002,
        notional: 74,
      });
    });

    it('percent_equity takes a share of equity at the price', () => {
      const r = ok(sizeOrder(input({ mode: 'percent_equity', value: 10, equity: 5000, price: 250 })));
      expect(r).toMatchObject({ amount: 2, baseAmount: 2, notional: 500 });
    });

    it('risk_percent sizes so that hitting the stop loses the given share of equity', () => {
      // 1 % of 10,000 = 100 risked; stop 5 below the price → 20 units.
      const r = ok(sizeOrder(input({ mode: 'risk_percent', value: 1, equity: 10_000, price: 100, stopLoss: 95 })));
      expect(r).toMatchObject({ amount: 20, baseAmount: 20, notional: 2000 });
    });

    it('risk_percent works with a stop above the price (shorts)', () => {
      const r = ok(sizeOrder(input({ mode: 'risk_percent', value: 2, equity: 1000, price: 50, stopLoss: 54 })));
      expect(r.amount).toBe(5);
    });

    it.each([
      ['percent_equity', {}],
      ['percent_equity', { equity: 0 }],
      ['percent_equity', { equity: -10 }],
      ['risk_percent', { stopLoss: 95 }],
      ['risk_percent', { stopLoss: 95, equity: Number.NaN }],
    ] as const)('%s refuses without usable equity (%j)', (mode, extra) => {
      expect(reason(sizeOrder(input({ mode, value: 5, ...extra })))).toMatch(/equity/);
    });

    it('risk_percent refuses without a stop loss', () => {
      expect(reason(sizeOrder(input({ mode: 'risk_percent', value: 1, equity: 1000 })))).toMatch(/stop loss, got none/);
    });

    it('risk_percent refuses a stop loss equal to the price', () => {
      expect(reason(sizeOrder(input({ mode: 'risk_percent', value: 1, equity: 1000, price: 100, stopLoss: 100 })))).toMatch(
        /different from the price 100, got 100/,
      );
      expect(reason(sizeOrder(input({ mode: 'risk_percent', value: 1, equity: 1000, price: 0.3, stopLoss: 0.1 + 0.2 })))).toMatch(
        /different from the price/,
      );
    });

    it.each(['percent_equity', 'risk_percent'] as const)('%s refuses more than 100 %% and allows exactly 100 %%', (mode) => {
      expect(reason(sizeOrder(input({ mode, value: 100.5, equity: 1000, stopLoss: 90 })))).toMatch(/100.5 is above 100 %/);
      expect(sizeOrder(input({ mode, value: 100, equity: 1000, stopLoss: 90 })).ok).toBe(true);
    });
  });

  describe('alert quantity', () => {
    const profile = { mode: 'fixed_quote', value: 100, price: 100 } as const;

    it('is ignored unless the user allows it', () => {
      const r = ok(sizeOrder(input({ ...profile, alertQuantity: 7, alertSizeType: 'base' })));
      expect(r.amount).toBe(1);
    });

    it('wins over the profile when allowed, as base by default', () => {
      const r = ok(sizeOrder(input({ ...profile, allowAlertQuantity: true, alertQuantity: 7 })));
      expect(r.amount).toBe(7);
    });

    it.each([
      ['base', {}, 3],
      ['quote', {}, 0.03],
      ['percent_equity', { equity: 1000 }, 0.3],
      ['risk_percent', { equity: 1000, stopLoss: 90 }, 3],
    ] as const)('uses its size type %s', (alertSizeType, extra, amount) => {
      const r = ok(sizeOrder(input({ ...profile, ...extra, allowAlertQuantity: true, alertQuantity: 3, alertSizeType })));
      expect(r.amount).toBe(amount);
    });

    it('falls back to the profile when the alert has no quantity', () => {
      expect(ok(sizeOrder(input({ ...profile, allowAlertQuantity: true, alertSizeType: 'base' }))).amount).toBe(1);
    });

    it('refuses a non-positive alert quantity, naming it', () => {
      expect(reason(sizeOrder(input({ ...profile, allowAlertQuantity: true, alertQuantity: 0 })))).toMatch(/alert quantity .* got 0/);
    });
  });

  describe('swaps', () => {
    it('converts base to contracts and rounds contracts down to step 1', () => {
      // 0.0567 BTC / 0.01 = 5.67 contracts → 5 contracts = 0.05 BTC
      const r = ok(sizeOrder(input({ market: SWAP, value: 0.0567, price: 40000 })));
      expect(r).toEqual({ ok: true, amount: 5, baseAmount: 0.05, notional: 2000 });
    });

    it('gives exact base amounts despite float products (7 × 0.1)', () => {
      const r = ok(sizeOrder(input({ market: { type: 'swap', amountStep: 1, contractSize: 0.1 }, value: 0.7, price: 10 })));
      expect(r.amount).toBe(7);
      expect(r.baseAmount).toBe(0.7); // 7 * 0.1 is 0.7000000000000001
    });

    it('keeps a whole contract computed as 0.2999… from float error', () => {
      const r = ok(sizeOrder(input({ market: { type: 'swap', amountStep: 1, contractSize: 0.1 }, value: 0.7 - 0.4, price: 10 })));
      expect(r.amount).toBe(3);
    });

    it('rounds to fractional contract steps', () => {
      const r = ok(sizeOrder(input({ market: { type: 'swap', amountStep: 0.01, contractSize: 0.01 }, value: 0.012345, price: 1000 })));
      expect(r).toMatchObject({ amount: 1.23, baseAmount: 0.0123 });
    });

    it('refuses when the contract size is unknown rather than assuming 1', () => {
      expect(reason(sizeOrder(input({ market: { type: 'swap', amountStep: 1 } })))).toMatch(/contract size, got none/);
      expect(reason(sizeOrder(input({ market: { type: 'swap', amountStep: 1, contractSize: 0 } })))).toMatch(/contract size, got 0/);
    });

    it('ignores a contract size on spot', () => {
      expect(ok(sizeOrder(input({ market: { ...SPOT, contractSize: 0.01 }, value: 2 }))).amount).toBe(2);
    });

    it('reports the contract count that rounds to zero', () => {
      expect(reason(sizeOrder(input({ market: SWAP, value: 0.005, price: 40000 })))).toMatch(/0.5 contracts rounds down to 0 at amount step 1/);
    });
  });

  describe('market minimums', () => {
    it('refuses an amount that rounds to 0, naming it', () => {
      expect(reason(sizeOrder(input({ value: 0.0009 })))).toBe('order size 0.0009 base rounds down to 0 at amount step 0.001');
    });

    it('refuses below minAmount and allows exactly minAmount', () => {
      const market = { ...SPOT, minAmount: 0.01 };
      expect(reason(sizeOrder(input({ market, value: 0.009 })))).toBe('order amount 0.009 base is below the market minimum 0.01');
      expect(ok(sizeOrder(input({ market, value: 0.01 }))).amount).toBe(0.01);
    });

    it('compares minAmount in contracts for swaps', () => {
      const market = { ...SWAP, minAmount: 2 };
      expect(reason(sizeOrder(input({ market, value: 0.019 })))).toMatch(/1 contracts is below the market minimum 2/);
      expect(ok(sizeOrder(input({ market, value: 0.02 }))).amount).toBe(2);
    });

    it('refuses a notional below minCost and allows exactly minCost despite float noise', () => {
      const market = { ...SPOT, amountStep: 0.1, minCost: 0.3 };
      // 0.1 + 0.2 style: 3 × 0.1 = 0.30000000000000004, and 0.3 × 1 against minCost 0.3
      expect(ok(sizeOrder(input({ market, value: 0.3, price: 1 }))).notional).toBeCloseTo(0.3, 12);
      expect(reason(sizeOrder(input({ market, value: 0.2, price: 1 })))).toBe('order notional 0.2 is below the market minimum cost 0.3');
    });

    it('checks minCost against the rounded amount, not the requested one', () => {
      // 11.5 quote at 1.05 is 10.95 units, rounded down to 10 = 10.5 notional < 11
      const market = { ...SPOT, amountStep: 1, minCost: 11 };
      expect(reason(sizeOrder(input({ mode: 'fixed_quote', market, value: 11.5, price: 1.05 })))).toMatch(/notional 10.5 is below .* 11$/);
    });
  });

  describe('bad input', () => {
    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses price %d', (price) => {
      expect(reason(sizeOrder(input({ price })))).toMatch(/price must be a positive number/);
    });

    it.each([0, -0.001, Number.NaN])('refuses amount step %d', (amountStep) => {
      expect(reason(sizeOrder(input({ market: { type: 'spot', amountStep } })))).toMatch(/amount step/);
    });

    it.each([0, -5, Number.NaN])('refuses sizing value %d', (value) => {
      expect(reason(sizeOrder(input({ value })))).toMatch(/sizing value must be a positive number/);
    });
  });
});
