import { create } from '@bufbuild/protobuf';
import { RiskOverridesSchema, StrategyDefaultsSchema } from '@tbot/common';
import { checkDefaults, checkName, checkRiskOverrides, checkStrategyId, defaultsMessageFields, newStrategyId } from '../src/strategy-input';

const defaults = (init: Parameters<typeof create<typeof StrategyDefaultsSchema>>[1]) => checkDefaults(create(StrategyDefaultsSchema, init));
const overrides = (init: Parameters<typeof create<typeof RiskOverridesSchema>>[1]) => checkRiskOverrides(create(RiskOverridesSchema, init));

describe('strategy ids', () => {
  it('are stg_ and 128 random bits, and only those pass', () => {
    const a = newStrategyId();
    expect(a).toMatch(/^stg_[0-9a-f]{32}$/);
    expect(newStrategyId()).not.toBe(a);
    expect(checkStrategyId(a)).toEqual({ ok: true, value: a });
    for (const bad of ['', 'stg_', `${a}0`, a.toUpperCase(), '7d3f1c52-9a4e-4b8f-8c1d-2e6a5b4c3d21', 'stg_../../x', `stg_${'g'.repeat(32)}`]) {
      expect(checkStrategyId(bad)).toMatchObject({ ok: false, message: expect.stringContaining('strategy_id') });
    }
  });
});

describe('checkName', () => {
  it('trims, requires 1-64 characters without control characters', () => {
    expect(checkName('  Momentum 4h ')).toEqual({ ok: true, value: 'Momentum 4h' });
    expect(checkName('x'.repeat(64))).toMatchObject({ ok: true });
    expect(checkName('x'.repeat(65))).toMatchObject({ ok: false, message: expect.stringContaining('name') });
    expect(checkName('  ')).toMatchObject({ ok: false });
    expect(checkName('a\nb')).toMatchObject({ ok: false });
  });
});

describe('checkDefaults', () => {
  it('is empty when nothing is given', () => {
    expect(checkDefaults(undefined)).toEqual({ ok: true, value: {} });
    expect(defaults({})).toEqual({ ok: true, value: {} });
  });

  it('takes every field, normalised', () => {
    expect(defaults({ symbol: ' BTC-USDT-SWAP ', action: 'Close_Long', direction: 'LONG_ONLY', quantity: 0.5, sizeType: 'base', orderType: 'Limit' })).toEqual({
      ok: true,
      value: { symbol: 'BTC-USDT-SWAP', action: 'close', closeSide: 'long', direction: 'long_only', quantity: 0.5, sizeType: 'base', orderType: 'limit' },
    });
    // "both" is what no side rule means.
    expect(defaults({ direction: 'both' })).toEqual({ ok: true, value: {} });
  });

  it.each([
    [{ symbol: 'BTC USDT' }, 'defaults.symbol'],
    [{ symbol: 'X'.repeat(41) }, 'defaults.symbol'],
    [{ action: 'hodl' }, 'defaults.action'],
    [{ direction: 'sideways' }, 'defaults.direction'],
    [{ sizeType: 'lots' }, 'defaults.size_type'],
    [{ orderType: 'stop' }, 'defaults.order_type'],
    [{ quantity: 0 }, 'defaults.quantity'],
    [{ quantity: -1 }, 'defaults.quantity'],
    [{ quantity: Number.NaN }, 'defaults.quantity'],
    [{ quantity: Number.POSITIVE_INFINITY }, 'defaults.quantity'],
    [{ quantity: 101, sizeType: 'percent_equity' }, 'defaults.quantity'],
    [{ action: 'sell', direction: 'long_only' }, 'defaults.action'],
    [{ action: 'buy', direction: 'short_only' }, 'defaults.action'],
  ])('refuses %j naming %s', (init, field) => {
    expect(defaults(init)).toMatchObject({ ok: false, message: expect.stringContaining(field) });
  });

  it('reads back as the API spells it', () => {
    const r = defaults({ symbol: 'ETHUSDT', action: 'close_short', quantity: 2, sizeType: 'quote' });
    expect(r.ok && defaultsMessageFields(r.value)).toEqual({ symbol: 'ETHUSDT', action: 'close_short', direction: 'both', quantity: 2, sizeType: 'quote', orderType: '' });
  });
});

describe('checkRiskOverrides', () => {
  it('keeps only what is set', () => {
    expect(checkRiskOverrides(undefined)).toEqual({ ok: true, value: {} });
    expect(overrides({})).toEqual({ ok: true, value: {} });
    expect(overrides({ maxOrderNotional: 50, tradingEnabled: false, allowedSymbols: ['ETH/USDT'], sizingMode: 'fixed_base', sizingValue: 0.1 })).toEqual({
      ok: true,
      value: { maxOrderNotional: 50, tradingEnabled: false, allowedSymbols: ['ETH/USDT'], sizingMode: 'fixed_base', sizingValue: 0.1 },
    });
  });

  it.each([
    [{ maxOrderNotional: 0 }, 'risk_overrides.maxOrderNotional'],
    [{ maxLeverage: 500 }, 'risk_overrides.maxLeverage'],
    [{ allowedSymbols: ['btc'] }, 'risk_overrides.allowedSymbols'],
    [{ sizingMode: 'yolo', sizingValue: 1 }, 'risk_overrides.sizingMode'],
    [{ sizingMode: 'fixed_base' }, 'sizing_mode and sizing_value together'],
    [{ sizingValue: 5 }, 'sizing_mode and sizing_value together'],
    [{ sizingMode: 'percent_equity', sizingValue: 150 }, 'at most 100'],
  ])('refuses %j (%s)', (init, text) => {
    expect(overrides(init)).toMatchObject({ ok: false, message: expect.stringContaining(text) });
  });
});
