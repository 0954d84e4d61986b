/**
 * The one place that decides what a command must carry before it can be traded, after a
 * dialect has read what the message says and a strategy's defaults (strategy-rules.ts)
 * have filled what it left out: symbol and action are required, the order type is settled
 * (market unless named; a limit order needs its price), and the stop-loss and take-profit are
 * checked against the action and price finally known. What is still missing is refused,
 * naming the field in the user's dialect.
 */
import type { Alert, AlertParseResult, PartialAlert } from '../alert';

/** What may fill a command's quantity when the message leaves it out. */
export interface AlertDefaults {
  symbol?: string;
  quantity?: number;
  sizeType?: Alert['sizeType'];
}

/** `labels`: where the message would have carried each field (e.g. symbol ← "ticker"), for the message. */
export function requireComplete(
  partial: PartialAlert,
  defaults?: AlertDefaults,
  labels?: Readonly<Record<string, string>>,
): AlertParseResult {
  const fail = (name: string, message: string): AlertParseResult => ({ ok: false, code: 'malformed_alert', message, field: labels?.[name] ?? name });
  const { orderType, ...rest } = partial;
  const symbol = partial.symbol ?? defaults?.symbol;
  if (symbol === undefined || symbol === '') return fail('symbol', `field "${labels?.symbol ?? 'symbol'}" is required`);
  const action = partial.action;
  if (action === undefined) return fail('action', `field "${labels?.action ?? 'action'}" is required`);
  const alert: Alert = { ...rest, symbol, action, orderType: orderType ?? 'market' };
  // A quantity without its unit would be read in the wrong unit, so the two come as a pair.
  if (alert.quantity === undefined && defaults?.quantity !== undefined) {
    alert.quantity = defaults.quantity;
    if (defaults.sizeType !== undefined) alert.sizeType = defaults.sizeType;
  }
  if (alert.orderType === 'market') {
    delete alert.limitPrice;
  } else {
    alert.limitPrice ??= alert.price;
    if (alert.limitPrice === undefined) return fail('limit_price', 'a limit order needs "limit_price" (or "price")');
  }
  // The reader checked these when the message named the action; a default action or order type may be new here.
  const ref = alert.limitPrice ?? alert.price;
  if (ref !== undefined && (action === 'buy' || action === 'sell')) {
    const long = action === 'buy';
    if (alert.stopLoss !== undefined && (long ? alert.stopLoss >= ref : alert.stopLoss <= ref)) {
      return fail('stop_loss', `field "stop_loss" (${alert.stopLoss}) must be ${long ? 'below' : 'above'} the entry price ${ref} for a ${action}`);
    }
    if (alert.takeProfit !== undefined && (long ? alert.takeProfit <= ref : alert.takeProfit >= ref)) {
      return fail('take_profit', `field "take_profit" (${alert.takeProfit}) must be ${long ? 'above' : 'below'} the entry price ${ref} for a ${action}`);
    }
  }
  return { ok: true, alert };
}
