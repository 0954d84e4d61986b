/**
 * A strategy's fields as the API sends them, checked and turned into what is stored (and
 * back): pure functions, each refusal naming the field, so the RPC answers INVALID_ARGUMENT
 * with a message a user can act on.
 */
import type { RiskOverrides as RiskOverridesMessage, StrategyDefaults as StrategyDefaultsMessage } from '@tbot/common';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ALERT_FIELD_LIMITS, type SizeType } from './alert';
import { profileFields } from './risk-profiles';
import type { RiskOverrides, StrategyDefaults } from './strategy-rules';

/** 128 random bits: a strategy's URL is its address, so one must not be guessable from another. */
export const STRATEGY_ID = /^stg_[0-9a-f]{32}$/;

export function newStrategyId(): string {
  return `stg_${randomBytes(16).toString('hex')}`;
}

export const STRATEGY_NAME_MAX = 64;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const ACTIONS: Record<string, Pick<StrategyDefaults, 'action' | 'closeSide'>> = {
  buy: { action: 'buy' },
  sell: { action: 'sell' },
  close: { action: 'close', closeSide: 'both' },
  close_long: { action: 'close', closeSide: 'long' },
  close_short: { action: 'close', closeSide: 'short' },
};
const DIRECTIONS = ['both', 'long_only', 'short_only'] as const;
const SIZE_TYPES = ['base', 'quote', 'percent_equity', 'risk_percent'] as const;
const ORDER_TYPES = ['market', 'limit'] as const;
// What an alert's symbol may look like (BTCUSDT, OKX:BTCUSDT, BTC-USDT-SWAP, BTCUSDT.P, BTC/USDT);
// whether the market exists is decided per signal, against OKX's list then.
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9:._/-]*$/;

const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

export function checkName(name: string): Checked<string> {
  const n = name.trim();
  if (n === '') return fail('name: required');
  if (n.length > STRATEGY_NAME_MAX) return fail(`name: at most ${STRATEGY_NAME_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) return fail('name: no control characters');
  return { ok: true, value: n };
}

export function checkStrategyId(id: string): Checked<string> {
  return STRATEGY_ID.test(id) ? { ok: true, value: id } : fail('strategy_id: must be a strategy id (stg_ and 32 hex digits)');
}

const oneOf = <T extends string>(field: string, value: string, allowed: readonly T[]): Checked<T | undefined> => {
  if (value === '') return { ok: true, value: undefined };
  const v = value.trim().toLowerCase();
  return (allowed as readonly string[]).includes(v) ? { ok: true, value: v as T } : fail(`defaults.${field}: one of ${allowed.join(', ')}`);
};

export function checkDefaults(m: StrategyDefaultsMessage | undefined): Checked<StrategyDefaults> {
  const d: StrategyDefaults = {};
  if (!m) return { ok: true, value: d };
  const symbol = m.symbol.trim();
  if (symbol !== '') {
    if (symbol.length > ALERT_FIELD_LIMITS.symbol || !SYMBOL.test(symbol)) {
      return fail(`defaults.symbol: a symbol as alerts send it (e.g. BTCUSDT, BTC-USDT-SWAP), at most ${ALERT_FIELD_LIMITS.symbol} characters`);
    }
    d.symbol = symbol;
  }
  if (m.action !== '') {
    const a = ACTIONS[m.action.trim().toLowerCase()];
    if (!a) return fail(`defaults.action: one of ${Object.keys(ACTIONS).join(', ')}`);
    Object.assign(d, a);
  }
  const direction = oneOf('direction', m.direction, DIRECTIONS);
  if (!direction.ok) return direction;
  if (direction.value !== undefined && direction.value !== 'both') d.direction = direction.value;
  const sizeType = oneOf('size_type', m.sizeType, SIZE_TYPES);
  if (!sizeType.ok) return sizeType;
  if (sizeType.value !== undefined) d.sizeType = sizeType.value as SizeType;
  const orderType = oneOf('order_type', m.orderType, ORDER_TYPES);
  if (!orderType.ok) return orderType;
  if (orderType.value !== undefined) d.orderType = orderType.value;
  if (m.quantity !== undefined) {
    if (!Number.isFinite(m.quantity) || !(m.quantity > 0)) return fail('defaults.quantity: a number greater than 0');
    if ((d.sizeType === 'percent_equity' || d.sizeType === 'risk_percent') && m.quantity > 100) {
      return fail('defaults.quantity: a percentage must be at most 100');
    }
    d.quantity = m.quantity;
  }
  // The action a default of its own would be turned into by the side rule is a contradiction, not a default.
  if ((d.direction === 'long_only' && d.action === 'sell') || (d.direction === 'short_only' && d.action === 'buy')) {
    return fail(`defaults.action: ${d.action} contradicts direction ${d.direction}`);
  }
  return { ok: true, value: d };
}

// The profile's own rules per field (risk-profiles.ts), all optional.
const overridesInput = profileFields.partial();

export function checkRiskOverrides(m: RiskOverridesMessage | undefined): Checked<RiskOverrides> {
  if (!m) return { ok: true, value: {} };
  const r = overridesInput.safeParse({
    tradingEnabled: m.tradingEnabled,
    allowedSymbols: m.allowedSymbols.length > 0 ? m.allowedSymbols : undefined,
    maxOrderNotional: m.maxOrderNotional,
    maxPositionNotional: m.maxPositionNotional,
    maxOpenPositions: m.maxOpenPositions,
    maxOrdersPerMinute: m.maxOrdersPerMinute,
    maxOrdersPerDay: m.maxOrdersPerDay,
    cooldownSeconds: m.cooldownSeconds,
    dailyLossLimit: m.dailyLossLimit,
    maxLeverage: m.maxLeverage,
    sizingMode: m.sizingMode,
    sizingValue: m.sizingValue,
    allowAlertQuantity: m.allowAlertQuantity,
    closeOppositeFirst: m.closeOppositeFirst,
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    return fail(`risk_overrides.${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
  }
  const o = Object.fromEntries(Object.entries(r.data).filter(([, v]) => v !== undefined)) as RiskOverrides;
  // Together or not at all: a mode without its value would reuse the profile's value in
  // another unit (100 USDT becoming 100 % of equity).
  if ((o.sizingMode === undefined) !== (o.sizingValue === undefined)) {
    return fail('risk_overrides.sizing_mode: set sizing_mode and sizing_value together');
  }
  if ((o.sizingMode === 'percent_equity' || o.sizingMode === 'risk_percent') && (o.sizingValue ?? 0) > 100) {
    return fail('risk_overrides.sizing_value: a percentage sizing value must be at most 100');
  }
  return { ok: true, value: o };
}

/** The API's spelling of stored defaults (the inverse of checkDefaults). */
export function defaultsMessageFields(d: StrategyDefaults): {
  symbol: string;
  action: string;
  direction: string;
  quantity?: number;
  sizeType: string;
  orderType: string;
} {
  const action = d.action === 'close' && d.closeSide && d.closeSide !== 'both' ? `close_${d.closeSide}` : (d.action ?? '');
  return {
    symbol: d.symbol ?? '',
    action,
    direction: d.direction ?? 'both',
    ...(d.quantity !== undefined ? { quantity: d.quantity } : {}),
    sizeType: d.sizeType ?? '',
    orderType: d.orderType ?? '',
  };
}
