/**
 * Our alert, and the checks of its fields written in our own names. The message TradingView
 * posts is read by alert-dialects/ (our JSON and other tools' dialects, JSON or text, whatever
 * the content type said), which maps every dialect's fields to these names and calls
 * `readAlertFields` here; what a command must carry is decided in alert-dialects/complete.ts.
 *
 * Every refusal names the field, because the only way a user can debug an alert is by reading
 * our error in their alert log. Values are echoed (shortened) to help with that, except the
 * secret, which must never appear in a message since messages end up in logs and responses.
 */

export type AlertAction = 'buy' | 'sell' | 'close';
export type SizeType = 'base' | 'quote' | 'percent_equity' | 'risk_percent';

export interface Alert {
  symbol: string;
  action: AlertAction;
  /** for close: which position to flatten; close/exit → 'both', close_long → 'long', close_short → 'short' */
  closeSide?: 'long' | 'short' | 'both';
  price?: number;
  strategy?: string;
  secret?: string;
  id?: string;
  timestamp?: Date;
  quantity?: number;
  sizeType?: SizeType;
  orderType: 'market' | 'limit';
  limitPrice?: number;
  stopLoss?: number;
  takeProfit?: number;
  marketPosition?: 'long' | 'short' | 'flat';
  leverage?: number;
}


/**
 * malformed_alert: we cannot tell what the message asks; unsupported_alert: we can, and it
 * asks for something this service does not do (a take-profit ladder, cancelling orders).
 */
export type AlertRefusalCode = 'malformed_alert' | 'unresolved_placeholder' | 'unsupported_alert';

export type AlertRefusal = { ok: false; code: AlertRefusalCode; message: string; field?: string };

export type AlertParseResult = { ok: true; alert: Alert } | AlertRefusal;

/**
 * What a message says, before a strategy's defaults fill what it leaves out
 * (strategy-rules.ts): symbol, action and order type may be missing. `limitPrice` is kept
 * while the order type is unknown, since a strategy may make it a limit order. What must be
 * there in the end is decided in one place: `requireComplete` (alert-dialects/complete.ts).
 */
export type PartialAlert = Omit<Alert, 'symbol' | 'action' | 'orderType'> & {
  symbol?: string;
  action?: AlertAction;
  orderType?: 'market' | 'limit';
};

export const ALERT_FIELD_LIMITS = { symbol: 40, strategy: 64, id: 64, secret: 256 } as const;
export const MAX_LEVERAGE = 125;

type Obj = Record<string, unknown>;

export class AlertError extends Error {
  constructor(
    readonly code: AlertRefusalCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const malformed = (field: string, message: string): AlertError => new AlertError('malformed_alert', message, field);
export const unsupported = (field: string, message: string): AlertError => new AlertError('unsupported_alert', message, field);

/**
 * Where the user wrote each canonical field (e.g. symbol ← "tv_instrument"), for messages:
 * a dialect's fields are read under our names, but the user must read theirs in the error.
 */
const LABELS = new WeakMap<object, Readonly<Record<string, string>>>();
const labelOf = (body: Obj, name: string): string => LABELS.get(body)?.[name] ?? name;

const PLACEHOLDER = /\{\{[^{}]*\}\}/;

/** A short, log-safe rendering of a received value, for messages about non-secret fields. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));
  } catch {
    s = typeof v;
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

const isSecretPath = (path: string): boolean => path === 'secret' || /(^|\.)(secret|passphrase|key)$/i.test(path);

/** Deeper than any alert format nests (a few levels); deeper is an attack, not a template. */
const MAX_DEPTH = 32;

/**
 * TradingView leaves a placeholder as literal text when it does not apply to the alert (e.g.
 * `{{strategy.order.action}}` on an indicator alert) or is misspelt. Acting on such an alert
 * would mean acting on a guess, so any placeholder anywhere in the body refuses the whole alert,
 * even in fields we otherwise ignore: it shows the template is not what the user thinks it is.
 */
export function findPlaceholder(body: unknown): AlertError | undefined {
  // Iterative, depth-first in document order: a hostile body nested thousands deep must be
  // refused, not overflow the stack.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const m = PLACEHOLDER.exec(value);
      if (!m) continue;
      const token = m[0].length > 40 ? `${m[0].slice(0, 37)}...` : m[0];
      const what = isSecretPath(path) ? '' : ` ${token}`;
      return new AlertError(
        'unresolved_placeholder',
        `field "${path}" contains an unresolved TradingView placeholder${what}; TradingView did not fill it in for this alert`,
        path,
      );
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      return new AlertError('malformed_alert', `the alert message is nested deeper than ${MAX_DEPTH} levels`, path || undefined);
    }
    const children = Array.isArray(value)
      ? value.map((v, i) => ({ value: v as unknown, path: `${path}[${i}]`, depth: depth + 1 }))
      : Object.entries(value as Obj).map(([k, v]) => ({ value: v, path: path === '' ? k : `${path}.${k}`, depth: depth + 1 }));
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return undefined;
}

/**
 * Reads a field that may be spelt several ways (snake_case as documented, camelCase because
 * people write it anyway, and a few documented aliases). Ignoring an unrecognised spelling of,
 * say, a stop loss would silently drop it, so the common spellings are accepted; when two
 * spellings are present and disagree we refuse instead of picking one.
 */
function pick(body: Obj, names: readonly string[]): { name: string; value: unknown } | undefined {
  let found: { name: string; value: unknown } | undefined;
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(body, name)) continue;
    const value = body[name];
    // null is what templating tools emit for "no value"; treat it as absent.
    if (value === null || value === undefined) continue;
    if (found === undefined) {
      found = { name: labelOf(body, name), value };
    } else if (!sameValue(found.value, value)) {
      throw malformed(found.name, `fields "${found.name}" and "${labelOf(body, name)}" are both given and disagree`);
    }
  }
  return found;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = looseNumber(a);
  const nb = looseNumber(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (typeof a === 'string' && typeof b === 'string') return a.trim().toLowerCase() === b.trim().toLowerCase();
  return false;
}

// Strict on purpose: Number() would also take "", " ", "0x10", "1e400" (Infinity) and "Infinity".
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function looseNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    if (!NUMERIC.test(s)) return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function positiveNumber(body: Obj, names: readonly string[]): number | undefined {
  const f = pick(body, names);
  if (!f) return undefined;
  const n = looseNumber(f.value);
  if (n === undefined) throw malformed(f.name, `field "${f.name}" must be a number, got ${show(f.value)}`);
  if (!(n > 0)) throw malformed(f.name, `field "${f.name}" must be greater than 0, got ${show(f.value)}`);
  return n;
}

/**
 * Free-text fields. An empty string counts as absent: it is what a template yields for a value
 * the user chose not to fill in, and none of these fields changes what gets traded.
 */
function text(body: Obj, names: readonly string[], max: number): string | undefined {
  const f = pick(body, names);
  if (!f) return undefined;
  const secret = isSecretPath(f.name) || names.includes('secret');
  let s: string;
  if (typeof f.value === 'string') {
    s = f.value.trim();
  } else if (typeof f.value === 'number' && Number.isFinite(f.value) && !secret) {
    // Ids are often numbers in hand-written JSON; the same id as a string means the same thing.
    s = String(f.value);
  } else {
    throw malformed(f.name, `field "${f.name}" must be a string${secret ? '' : `, got ${show(f.value)}`}`);
  }
  if (s === '') return undefined;
  if (s.length > max) {
    throw malformed(f.name, `field "${f.name}" is too long: ${s.length} characters, at most ${max} allowed`);
  }
  return s;
}

function enumValue<T>(
  body: Obj,
  names: readonly string[],
  map: Readonly<Record<string, T>>,
): T | undefined {
  const f = pick(body, names);
  if (!f) return undefined;
  const key = typeof f.value === 'string' ? f.value.trim().toLowerCase() : undefined;
  const v = key !== undefined && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
  if (v === undefined) {
    const allowed = Object.keys(map).join(', ');
    throw malformed(f.name, `field "${f.name}" must be one of ${allowed}; got ${show(f.value)}`);
  }
  return v;
}

const ACTIONS: Readonly<Record<string, { action: AlertAction; closeSide?: 'long' | 'short' | 'both' }>> = {
  buy: { action: 'buy' },
  long: { action: 'buy' },
  sell: { action: 'sell' },
  short: { action: 'sell' },
  close: { action: 'close', closeSide: 'both' },
  exit: { action: 'close', closeSide: 'both' },
  close_long: { action: 'close', closeSide: 'long' },
  close_short: { action: 'close', closeSide: 'short' },
};

const SIZE_TYPES: Readonly<Record<string, SizeType>> = {
  base: 'base',
  quote: 'quote',
  percent_equity: 'percent_equity',
  risk_percent: 'risk_percent',
};

const ORDER_TYPES: Readonly<Record<string, 'market' | 'limit'>> = { market: 'market', limit: 'limit' };

const MARKET_POSITIONS: Readonly<Record<string, 'long' | 'short' | 'flat'>> = {
  long: 'long',
  short: 'short',
  flat: 'flat',
};

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * A date-time with an explicit zone only. `Date.parse` alone would accept "2025-02-30" (rolled
 * over to March) and zone-less times (read in the server's local zone): both would make the
 * signal's age, used to refuse stale signals, wrong without anyone noticing.
 */
export function parseIso(s: string): Date | undefined {
  const m = ISO_8601.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || sec > 59) return undefined;
  let offsetMin = 0;
  if (m[8]?.toUpperCase() !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function timestamp(body: Obj): Date | undefined {
  // Not "time": users fill that with {{time}}, the bar's open time, which is not when the signal fired.
  const f = pick(body, ['timestamp']);
  if (!f) return undefined;
  const bad = (): AlertError =>
    malformed(
      f.name,
      `field "${f.name}" must be an ISO 8601 date-time with a zone (e.g. "2025-01-01T12:00:00Z") or unix seconds/milliseconds, got ${show(f.value)}`,
    );
  const n = looseNumber(f.value);
  if (n !== undefined) {
    if (!(n > 0)) throw bad();
    // Seconds for the next ~30,000 years stay below 1e12, and milliseconds since late 2001 are above it.
    const date = new Date(n > 1e12 ? n : n * 1000);
    if (Number.isNaN(date.getTime())) throw bad();
    return date;
  }
  if (typeof f.value !== 'string') throw bad();
  const date = parseIso(f.value.trim());
  if (!date) throw bad();
  return date;
}

/**
 * Reads and checks the fields of one command written in our own names (a dialect module maps
 * its names to ours first, passing `labels` so that messages name the user's fields). Nothing
 * here requires a field: what a message may leave out is `requireComplete`'s decision.
 */
export function readAlertFields(body: Obj, labels?: Readonly<Record<string, string>>): PartialAlert {
  if (labels) LABELS.set(body, labels);
  const symbol = text(body, ['symbol'], ALERT_FIELD_LIMITS.symbol);
  const act = enumValue(body, ['action'], ACTIONS);

  // The order type stays unset unless the message names it: a strategy's default may set it.
  const alert: PartialAlert = {};
  if (symbol !== undefined) alert.symbol = symbol;
  if (act) alert.action = act.action;
  if (act?.closeSide) alert.closeSide = act.closeSide;

  const price = positiveNumber(body, ['price']);
  const strategy = text(body, ['strategy'], ALERT_FIELD_LIMITS.strategy);
  const secret = text(body, ['secret'], ALERT_FIELD_LIMITS.secret);
  const id = text(body, ['id'], ALERT_FIELD_LIMITS.id);
  const ts = timestamp(body);
  const quantity = positiveNumber(body, ['quantity', 'size', 'qty']);
  const sizeType = enumValue(body, ['size_type', 'sizeType'], SIZE_TYPES);
  const orderType = enumValue(body, ['order_type', 'orderType'], ORDER_TYPES);
  const limitPriceField = positiveNumber(body, ['limit_price', 'limitPrice']);
  const stopLoss = positiveNumber(body, ['stop_loss', 'stopLoss']);
  const takeProfit = positiveNumber(body, ['take_profit', 'takeProfit']);
  const marketPosition = enumValue(body, ['market_position', 'marketPosition'], MARKET_POSITIONS);
  const leverage = positiveNumber(body, ['leverage']);

  if (leverage !== undefined && (leverage < 1 || leverage > MAX_LEVERAGE)) {
    throw malformed('leverage', `field "leverage" must be between 1 and ${MAX_LEVERAGE}, got ${show(leverage)}`);
  }

  let limitPrice: number | undefined;
  if (orderType === 'limit') {
    // A limit alert usually carries {{close}} as "price"; a separate limit_price is optional.
    limitPrice = limitPriceField ?? price;
    if (limitPrice === undefined) {
      throw malformed('limit_price', 'a limit order needs "limit_price" (or "price")');
    }
  } else if (orderType === undefined) {
    // Kept until a strategy's default order type is known; requireComplete drops it for a market order.
    limitPrice = limitPriceField;
  }
  // For a market order a limit price means nothing; keeping it would invite someone downstream to use it.

  // A stop on the wrong side of the entry is not a protective stop: it fires at once or is
  // refused by the exchange after the entry has filled, leaving the position unprotected.
  const ref = (orderType === 'limit' ? limitPrice : undefined) ?? price;
  // Without an action (left to a default) the direction is unknown here; requireComplete checks it then.
  if (ref !== undefined && (alert.action === 'buy' || alert.action === 'sell')) {
    const long = alert.action === 'buy';
    if (stopLoss !== undefined && (long ? stopLoss >= ref : stopLoss <= ref)) {
      const field = pick(body, ['stop_loss', 'stopLoss'])?.name ?? 'stop_loss';
      throw malformed(
        field,
        `field "${field}" (${stopLoss}) must be ${long ? 'below' : 'above'} the entry price ${ref} for a ${alert.action}`,
      );
    }
    if (takeProfit !== undefined && (long ? takeProfit <= ref : takeProfit >= ref)) {
      const field = pick(body, ['take_profit', 'takeProfit'])?.name ?? 'take_profit';
      throw malformed(
        field,
        `field "${field}" (${takeProfit}) must be ${long ? 'above' : 'below'} the entry price ${ref} for a ${alert.action}`,
      );
    }
  }

  if (price !== undefined) alert.price = price;
  if (strategy !== undefined) alert.strategy = strategy;
  if (secret !== undefined) alert.secret = secret;
  if (id !== undefined) alert.id = id;
  if (ts !== undefined) alert.timestamp = ts;
  if (quantity !== undefined) alert.quantity = quantity;
  if (sizeType !== undefined) alert.sizeType = sizeType;
  if (orderType !== undefined) alert.orderType = orderType;
  if (limitPrice !== undefined) alert.limitPrice = limitPrice;
  if (stopLoss !== undefined) alert.stopLoss = stopLoss;
  if (takeProfit !== undefined) alert.takeProfit = takeProfit;
  if (marketPosition !== undefined) alert.marketPosition = marketPosition;
  if (leverage !== undefined) alert.leverage = leverage;
  return alert;
}
