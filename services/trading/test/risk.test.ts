import { checkRisk, DEFAULT_RISK_PROFILE, type OrderIntent, type RiskDecision, type RiskProfile, type RiskRule, type RiskState } from '../src/risk';

const NOW = new Date('2025-01-01T12:00:00Z');

const OPEN: RiskProfile = { tradingEnabled: true, allowedSymbols: [] };

function state(over: Partial<RiskState> = {}): RiskState {
  return { ordersLastMinute: 0, ordersToday: 0, lastOrderAt: {}, positions: [], realizedPnlToday: 0, ...over };
}

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { symbol: 'BTC/USDT', notional: 100, reduceOnly: false, now: NOW, ...over };
}

function blocked(d: RiskDecision): { rule: RiskRule; message: string } {
  if (d.ok) throw new Error('expected the order to be blocked');
  return d;
}

const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);

/** A profile and state that break every rule at once, to test the order of checks. */
const STRICT: RiskProfile = {
  tradingEnabled: true,
  allowedSymbols: ['ETH/USDT'],
  maxOrderNotional: 10,
  maxPositionNotional: 10,
  maxOpenPositions: 1,
  maxOrdersPerMinute: 1,
  maxOrdersPerDay: 1,
  cooldownSeconds: 60,
  dailyLossLimit: 50,
  maxLeverage: 2,
};
const BAD_STATE = state({
  ordersLastMinute: 5,
  ordersToday: 5,
  lastOrderAt: { 'BTC/USDT': ago(1) },
  positions: [{ symbol: 'SOL/USDT', notional: 20 }],
  realizedPnlToday: -100,
});
const BAD_INTENT = intent({ notional: 100, leverage: 10 });

describe('checkRisk', () => {
  it('allows an order when no limit is set', () => {
    expect(checkRisk(OPEN, state(), intent({ notional: 1e9, leverage: 125 }))).toEqual({ ok: true });
  });

  describe('order of checks', () => {
    // Each step lifts the rule that fired at the step before, so the next rule in line must fire.
    const steps: Array<[RiskRule | 'none', Partial<RiskProfile>]> = [
      ['trading_disabled', { tradingEnabled: false }],
      ['symbol_not_allowed', { tradingEnabled: true }],
      ['daily_loss_limit', { allowedSymbols: [] }],
      ['max_orders_per_day', { dailyLossLimit: undefined }],
      ['max_orders_per_minute', { maxOrdersPerDay: undefined }],
      ['cooldown', { maxOrdersPerMinute: undefined }],
      ['max_leverage', { cooldownSeconds: undefined }],
      ['max_order_notional', { maxLeverage: undefined }],
      ['max_position_notional', { maxOrderNotional: undefined }],
      ['max_open_positions', { maxPositionNotional: undefined }],
      ['none', { maxOpenPositions: undefined }],
    ];
    it('is trading_disabled, symbol_not_allowed, daily_loss_limit, per day, per minute, cooldown, leverage, order, position, open positions', () => {
      let profile: RiskProfile = { ...STRICT };
      const fired: string[] = [];
      for (const [, change] of steps) {
        profile = { ...profile, ...change };
        const d = checkRisk(profile, BAD_STATE, BAD_INTENT);
        fired.push(d.ok ? 'none' : d.rule);
      }
      expect(fired).toEqual(steps.map(([rule]) => rule));
    });
  });

  describe('kill switch and reduce-only', () => {
    it('the kill switch blocks everything, closing orders too', () => {
      const off = { ...OPEN, tradingEnabled: false };
      expect(blocked(checkRisk(off, state(), intent())).rule).toBe('trading_disabled');
      expect(blocked(checkRisk(off, state(), intent({ reduceOnly: true }))).rule).toBe('trading_disabled');
    });

    it('reduce-only orders bypass every other rule', () => {
      expect(checkRisk(STRICT, BAD_STATE, { ...BAD_INTENT, reduceOnly: true })).toEqual({ ok: true });
    });
  });

  describe('symbol_not_allowed', () => {
    const profile = { ...OPEN, allowedSymbols: ['BTC/USDT', 'ETH/USDT:USDT'] };
    it('allows listed symbols, case-insensitively', () => {
      expect(checkRisk(profile, state(), intent({ symbol: 'BTC/USDT' })).ok).toBe(true);
      expect(checkRisk(profile, state(), intent({ symbol: 'eth/usdt:usdt' })).ok).toBe(true);
    });
    it('blocks others, naming the symbol and the list', () => {
      const d = blocked(checkRisk(profile, state(), intent({ symbol: 'ETH/USDT' })));
      expect(d.rule).toBe('symbol_not_allowed');
      expect(d.message).toContain('ETH/USDT is not in the allowed symbols (BTC/USDT, ETH/USDT:USDT)');
    });
    it('allows everything when the list is empty', () => {
      expect(checkRisk(OPEN, state(), intent({ symbol: 'ANY/THING' })).ok).toBe(true);
    });
  });

  describe('daily_loss_limit', () => {
    const profile = { ...OPEN, dailyLossLimit: 200 };
    it.each([
      [0, true],
      [500, true],
      [-199.99, true],
      [-200, false], // exactly reached: halted
      [-200.01, false],
      [-1000, false],
      [Number.NaN, false],
    ])('realized %d today → allowed %s', (pnl, allowed) => {
      const d = checkRisk(profile, state({ realizedPnlToday: pnl }), intent());
      expect(d.ok).toBe(allowed);
      if (!d.ok) expect(d.rule).toBe('daily_loss_limit');
    });
    it('says the loss and the limit', () => {
      expect(blocked(checkRisk(profile, state({ realizedPnlToday: -250.5 }), intent())).message).toBe(
        'daily_loss_limit: realized loss today 250.5 has reached the limit 200; trading resumes tomorrow',
      );
    });
  });

  describe('order counts', () => {
    it.each([
      [99, true],
      [100, false],
      [101, false],
    ])('per day: %d orders so far with a limit of 100 → allowed %s', (n, allowed) => {
      const d = checkRisk({ ...OPEN, maxOrdersPerDay: 100 }, state({ ordersToday: n }), intent());
      expect(d.ok).toBe(allowed);
      if (!d.ok) expect(d.message).toBe(`max_orders_per_day: ${n} orders today, the limit is 100`);
    });

    it.each([
      [9, true],
      [10, false],
    ])('per minute: %d orders in the last minute with a limit of 10 → allowed %s', (n, allowed) => {
      const d = checkRisk({ ...OPEN, maxOrdersPerMinute: 10 }, state({ ordersLastMinute: n }), intent());
      expect(d.ok).toBe(allowed);
      if (!d.ok) expect(d.message).toBe(`max_orders_per_minute: ${n} orders in the last minute, the limit is 10`);
    });

    it('a limit of 0 allows no orders', () => {
      expect(blocked(checkRisk({ ...OPEN, maxOrdersPerDay: 0 }, state(), intent())).rule).toBe('max_orders_per_day');
    });
  });

  describe('cooldown', () => {
    const profile = { ...OPEN, cooldownSeconds: 30 };
    it.each([
      [29.999, false],
      [30, true], // exactly at the boundary: cooled down
      [31, true],
      [-5, false], // a last order in the future (clock skew) is not cooled down
    ])('last order %d s ago → allowed %s', (s, allowed) => {
      const d = checkRisk(profile, state({ lastOrderAt: { 'BTC/USDT': ago(s) } }), intent());
      expect(d.ok).toBe(allowed);
      if (!d.ok) expect(d.rule).toBe('cooldown');
    });
    it('says how long ago, the cooldown and what is left', () => {
      const d = blocked(checkRisk(profile, state({ lastOrderAt: { 'BTC/USDT': ago(12) } }), intent()));
      expect(d.message).toBe('cooldown: last BTC/USDT order 12 s ago, the cooldown is 30 s (18 s left)');
    });
    it('is per symbol', () => {
      expect(checkRisk(profile, state({ lastOrderAt: { 'ETH/USDT': ago(1) } }), intent()).ok).toBe(true);
    });
    it('matches the symbol case-insensitively and uses the latest entry', () => {
      const lastOrderAt = { 'btc/usdt': ago(100), 'BTC/USDT': ago(5) };
      expect(blocked(checkRisk(profile, state({ lastOrderAt }), intent())).rule).toBe('cooldown');
    });
    it('is off at 0', () => {
      expect(checkRisk({ ...OPEN, cooldownSeconds: 0 }, state({ lastOrderAt: { 'BTC/USDT': NOW } }), intent()).ok).toBe(true);
    });
    it('is not fooled by symbols named like Object.prototype members', () => {
      expect(checkRisk(profile, state(), intent({ symbol: 'constructor' })).ok).toBe(true);
    });
    it('blocks on an invalid last-order date', () => {
      expect(blocked(checkRisk(profile, state({ lastOrderAt: { 'BTC/USDT': new Date(Number.NaN) } }), intent())).rule).toBe('cooldown');
    });
  });

  describe('max_leverage', () => {
    const profile = { ...OPEN, maxLeverage: 5 };
    it.each([
      [undefined, true],
      [1, true],
      [5, true],
      [5.5, false],
      [20, false],
      [Number.NaN, false],
    ])('leverage %d → allowed %s', (leverage, allowed) => {
      const d = checkRisk(profile, state(), intent(leverage === undefined ? {} : { leverage }));
      expect(d.ok).toBe(allowed);
      if (!d.ok) expect(d.rule).toBe('max_leverage');
    });
    it('says the leverage and the limit', () => {
      expect(blocked(checkRisk(profile, state(), intent({ leverage: 10 }))).message).toBe('max_leverage: leverage 10x exceeds the limit 5x');
    });
  });

  describe('max_order_notional', () => {
    const profile = { ...OPEN, maxOrderNotional: 1000 };
    it.each([
      [999.99, true],
      [1000, true],
      [1000.01, false],
      [Number.NaN, false],
    ])('notional %d → allowed %s', (notional, allowed) => {
      expect(checkRisk(profile, state(), intent({ notional })).ok).toBe(allowed);
    });
    it('says the notional and the limit without float noise', () => {
      expect(blocked(checkRisk(profile, state(), intent({ notional: 1000 + 0.1 + 0.2 }))).message).toBe(
        'max_order_notional: order notional 1000.3 exceeds the limit 1000',
      );
    });
  });

  describe('max_position_notional', () => {
    const profile = { ...OPEN, maxPositionNotional: 5000 };
    const positions = [
      { symbol: 'BTC/USDT', notional: 4000 },
      { symbol: 'ETH/USDT', notional: 4900 },
    ];
    it.each([
      [1000, true], // exactly at the limit
      [1000.01, false],
    ])('4000 open + %d → allowed %s', (notional, allowed) => {
      expect(checkRisk(profile, state({ positions }), intent({ notional })).ok).toBe(allowed);
    });
    it('counts only the same symbol', () => {
      expect(checkRisk(profile, state({ positions }), intent({ symbol: 'SOL/USDT', notional: 5000 })).ok).toBe(true);
    });
    it('adds up both sides of a hedged position', () => {
      const hedged = [
        { symbol: 'BTC/USDT', notional: 2000 },
        { symbol: 'BTC/USDT', notional: 2500 },
      ];
      const d = blocked(checkRisk(profile, state({ positions: hedged }), intent({ notional: 600 })));
      expect(d.message).toBe('max_position_notional: BTC/USDT position would be 5100 (4500 open + 600 new), the limit is 5000');
    });
    it('reads notionals as absolute', () => {
      expect(blocked(checkRisk(profile, state({ positions: [{ symbol: 'BTC/USDT', notional: -4500 }] }), intent({ notional: 600 }))).rule).toBe(
        'max_position_notional',
      );
    });
  });

  describe('max_open_positions', () => {
    const profile = { ...OPEN, maxOpenPositions: 2 };
    const two = [
      { symbol: 'BTC/USDT', notional: 100 },
      { symbol: 'ETH/USDT', notional: 100 },
    ];
    it('blocks a new symbol at the limit', () => {
      const d = blocked(checkRisk(profile, state({ positions: two }), intent({ symbol: 'SOL/USDT' })));
      expect(d.rule).toBe('max_open_positions');
      expect(d.message).toBe('max_open_positions: 2 positions open, the limit is 2');
    });
    it('allows adding to a position already open', () => {
      expect(checkRisk(profile, state({ positions: two }), intent({ symbol: 'ETH/USDT' })).ok).toBe(true);
    });
    it('allows a new symbol below the limit', () => {
      expect(checkRisk(profile, state({ positions: two.slice(0, 1) }), intent({ symbol: 'SOL/USDT' })).ok).toBe(true);
    });
    it('counts a hedged symbol once and ignores empty positions', () => {
      const positions = [
        { symbol: 'BTC/USDT', notional: 100 },
        { symbol: 'BTC/USDT', notional: 50 },
        { symbol: 'ETH/USDT', notional: 0 },
      ];
      expect(checkRisk(profile, state({ positions }), intent({ symbol: 'SOL/USDT' })).ok).toBe(true);
    });
    it('treats an empty position on this symbol as no position', () => {
      const positions = [...two, { symbol: 'SOL/USDT', notional: 0 }];
      expect(blocked(checkRisk(profile, state({ positions }), intent({ symbol: 'SOL/USDT' }))).rule).toBe('max_open_positions');
    });
  });

  describe('DEFAULT_RISK_PROFILE', () => {
    it('is conservative', () => {
      expect(DEFAULT_RISK_PROFILE).toEqual({
        tradingEnabled: true,
        allowedSymbols: [],
        maxOrderNotional: 1000,
        maxPositionNotional: 5000,
        maxOpenPositions: 5,
        maxOrdersPerMinute: 10,
        maxOrdersPerDay: 100,
        cooldownSeconds: 0,
        maxLeverage: 5,
      });
      expect(DEFAULT_RISK_PROFILE.dailyLossLimit).toBeUndefined();
    });
    it('cannot be changed by accident', () => {
      expect(() => DEFAULT_RISK_PROFILE.allowedSymbols.push('BTC/USDT')).toThrow();
      expect(() => {
        (DEFAULT_RISK_PROFILE as { maxLeverage?: number }).maxLeverage = 100;
      }).toThrow();
      expect(DEFAULT_RISK_PROFILE.maxLeverage).toBe(5);
    });
    it('enforces its limits', () => {
      expect(blocked(checkRisk(DEFAULT_RISK_PROFILE, state(), intent({ notional: 1001 }))).rule).toBe('max_order_notional');
      expect(blocked(checkRisk(DEFAULT_RISK_PROFILE, state(), intent({ leverage: 6 }))).rule).toBe('max_leverage');
      expect(checkRisk(DEFAULT_RISK_PROFILE, state({ lastOrderAt: { 'BTC/USDT': NOW } }), intent({ leverage: 5, notional: 1000 }))).toEqual({
        ok: true,
      });
    });
  });
});
