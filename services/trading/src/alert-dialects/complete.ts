/**
 * The one place that decides what a command must carry before it can be traded, after a
 * dialect has read what the message says. Strategies (issue #7 part 2) will pass their
 * defaults here, so a message that leaves the symbol to its strategy still works; what is
 * still missing after the defaults is refused, naming the field in the user's dialect.
 */
import type { Alert, AlertParseResult, PartialAlert } from '../alert';

/** What a strategy may fill in when the message leaves it out. */
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
  const symbol = partial.symbol ?? defaults?.symbol;
  if (symbol === undefined) {
    const field = labels?.symbol ?? 'symbol';
    return { ok: false, code: 'malformed_alert', message: `field "${field}" is required`, field };
  }
  const action = partial.action;
  if (action === undefined) {
    const field = labels?.action ?? 'action';
    return { ok: false, code: 'malformed_alert', message: `field "${field}" is required`, field };
  }
  const alert: Alert = { ...partial, symbol, action };
  // A quantity without its unit would be read in the wrong unit, so the two come as a pair.
  if (alert.quantity === undefined && defaults?.quantity !== undefined) {
    alert.quantity = defaults.quantity;
    if (defaults.sizeType !== undefined) alert.sizeType = defaults.sizeType;
  }
  return { ok: true, alert };
}
