import { closingLeg, isClosing, needsEquity, planOrder, type PlanInput } from '../src/order-plan';
import type { RiskState } from '../src/risk';
import { DEFAULT_PROFILE, type StoredProfile } from '../src/risk-profiles';

const SWAP = { symbol: 'BTC/USDT:USDT', type: 'swap' as const, limits: { type: 'swap' as const, amountStep: 1, minAmount: 1, contractSize: 0.01 } };
const SPOT = { symbol: 'BTC/USDT', type: 'spot' as const, limits: { type: 'spot' as const, amountStep: 0.00000001, minAmount: 0.00001 } };
const PROFILE: StoredProfile = { ...DEFAULT_PROFILE, tradingEnabled: true, sizingMode: 'fixed_base', sizingValue: 0.05, closeOppositeFirst: true, maxOrderNotional: 1e6, maxPositionNotional: 1e9 };
const EMPTY: RiskState = { ordersLastMinute: 0, ordersToday: 0, lastOrderAt: {}, positions: [], realizedPnlToday: 0 };
const NOW = new Date('2026-11-27T12:00:00Z');

const plan = (over: Partial<PlanInput> & { alert: PlanInput['alert'] }) =>
  planOrder({ profile: PROFILE, quantityFromStrategy: false, position: 0, market: SWAP, price: 40_000, risk: { state: EMPTY, now: NOW }, ...over });

describe('planOrder', () => {
  it('opens with one order sized by the profile', () => {
    expect(plan({ alert: { action: 'buy' } })).toEqual({ ok: true, legs: [{ side: 'buy', baseAmount: 0.05, amount: 5, reduceOnly: false, leg: 0 }] });
  });

  it('closes the opposite swap position first when the profile says so, then opens', () => {
    expect(plan({ alert: { action: 'buy' }, position: -0.03 })).toEqual({
      ok: true,
      legs: [
        { side: 'buy', baseAmount: 0.03, amount: 3, reduceOnly: true, leg: 1 },
        { side: 'buy', baseAmount: 0.05, amount: 5, reduceOnly: false, leg: 0 },
      ],
    });
    expect(plan({ alert: { action: 'sell' }, position: 0.02 })).toMatchObject({
      ok: true,
      legs: [{ side: 'sell', reduceOnly: true, amount: 2 }, { side: 'sell', reduceOnly: false }],
    });
  });

  it('nets into the opposite position when the profile does not close it first', () => {
    expect(plan({ alert: { action: 'buy' }, position: -0.03, profile: { ...PROFILE, closeOppositeFirst: false } })).toMatchObject({
      ok: true,
      legs: [{ side: 'buy', reduceOnly: false, leg: 0 }],
    });
  });

  it('adds to a position on the same side without closing anything', () => {
    expect(plan({ alert: { action: 'buy' }, position: 0.05 })).toMatchObject({ ok: true, legs: [{ reduceOnly: false, leg: 0 }] });
  });

  it('never closes first on spot: a spot holding is not a short or a position to flip', () => {
    expect(plan({ alert: { action: 'sell' }, position: 0.05, market: SPOT })).toEqual({
      ok: true,
      legs: [{ side: 'sell', baseAmount: 0.05, amount: 0.05, reduceOnly: false, leg: 0 }],
    });
  });

  it('closes the whole position with one reduce-only order, for close and for a flat market position', () => {
    const long = { ok: true, legs: [{ side: 'sell', baseAmount: 0.07, amount: 7, reduceOnly: true, leg: 1 }] };
    expect(plan({ alert: { action: 'close' }, position: 0.07 })).toEqual(long);
    expect(plan({ alert: { action: 'sell', marketPosition: 'flat' }, position: 0.07 })).toEqual(long);
    expect(plan({ alert: { action: 'close' }, position: -0.07 })).toMatchObject({ ok: true, legs: [{ side: 'buy', reduceOnly: true, amount: 7 }] });
  });

  it('closes only the side a close names, and refuses when there is nothing of it', () => {
    expect(plan({ alert: { action: 'close', closeSide: 'long' }, position: 0.07 })).toMatchObject({ ok: true });
    expect(plan({ alert: { action: 'close', closeSide: 'long' }, position: -0.07 })).toEqual({
      ok: false,
      code: 'no_position',
      message: 'no long position in BTC/USDT:USDT to close',
    });
    expect(plan({ alert: { action: 'close' }, position: 0 })).toEqual({ ok: false, code: 'no_position', message: 'no position in BTC/USDT:USDT to close' });
  });

  it('lets a close through every risk rule (only the kill switch, checked before, stops it)', () => {
    const full: RiskState = { ...EMPTY, ordersLastMinute: 1_000, ordersToday: 1_000, realizedPnlToday: -1e9 };
    const strict = { ...PROFILE, maxOrdersPerMinute: 1, maxOrdersPerDay: 1, dailyLossLimit: 1 };
    expect(plan({ alert: { action: 'close' }, position: 0.07, profile: strict, risk: { state: full, now: NOW } })).toMatchObject({ ok: true });
  });

  it('refuses an opening order the risk rules refuse, naming the rule', () => {
    const r = plan({ alert: { action: 'buy' }, profile: { ...PROFILE, maxOrderNotional: 100 } });
    expect(r).toMatchObject({ ok: false, code: 'risk_rejected', rule: 'max_order_notional' });
  });

  it('refuses a size that rounds to nothing at the market step', () => {
    const r = plan({ alert: { action: 'buy' }, profile: { ...PROFILE, sizingValue: 0.001 } });
    expect(r).toMatchObject({ ok: false, code: 'sizing_rejected' });
  });

  it("uses the alert's quantity only where the profile or the strategy allows it", () => {
    const alert = { action: 'buy' as const, quantity: 0.2, sizeType: 'base' as const };
    expect(plan({ alert })).toMatchObject({ legs: [{ baseAmount: 0.05 }] });
    expect(plan({ alert, quantityFromStrategy: true })).toMatchObject({ legs: [{ baseAmount: 0.2 }] });
    expect(plan({ alert, profile: { ...PROFILE, allowAlertQuantity: true } })).toMatchObject({ legs: [{ baseAmount: 0.2 }] });
  });
});

describe('the helpers around it', () => {
  it('tells closing alerts apart', () => {
    expect(isClosing({ action: 'close' })).toBe(true);
    expect(isClosing({ action: 'buy', marketPosition: 'flat' })).toBe(true);
    expect(isClosing({ action: 'buy', marketPosition: 'long' })).toBe(false);
  });

  it('asks for the balance only for percentage sizing', () => {
    expect(needsEquity({}, PROFILE, false)).toBe(false);
    expect(needsEquity({}, { ...PROFILE, sizingMode: 'risk_percent' }, false)).toBe(true);
    expect(needsEquity({ sizeType: 'percent_equity' }, PROFILE, false)).toBe(false);
    expect(needsEquity({ sizeType: 'percent_equity' }, PROFILE, true)).toBe(true);
  });

  it('sizes a closing swap order in contracts', () => {
    expect(closingLeg(-0.123, SWAP, 1)).toEqual({ side: 'buy', baseAmount: 0.123, amount: 12.3, reduceOnly: true, leg: 1 });
  });
});
