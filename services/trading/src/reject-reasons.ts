import type { RiskRule } from './risk';

/**
 * The reject codes a signal can carry (SubmitSignalResponse.reject_code) and the risk rules of
 * risk_rejected (reject_rule), in words for people: the one table the API and the dashboard
 * read (through Signal.reason). A code missing here is shown as itself.
 */
const CODES: Record<string, string> = {
  invalid_secret: 'The secret or signature did not match',
  unknown_strategy: 'No strategy has this webhook URL (deleted?)',
  malformed_alert: 'The alert message could not be read',
  unresolved_placeholder: 'The alert still held a TradingView placeholder ({{…}})',
  stale_signal: 'The alert was too old to trade on',
  not_entitled: 'The subscription does not include trading',
  unknown_symbol: 'The exchange has no such market, or no price for it',
  risk_rejected: 'Refused by the risk profile',
  sizing_rejected: 'No order size could be worked out',
  no_position: 'There was no position to close',
  exchange_not_configured: 'No exchange account is set up',
  exchange_rejected: 'The exchange refused the order',
  exchange_unavailable: 'The exchange could not be reached',
  internal_error: 'The signal could not be executed (an error on our side)',
};

// Every rule of risk.ts: the type makes a new rule without words a compile error.
const RULES: Record<RiskRule, string> = {
  trading_disabled: 'trading is switched off',
  symbol_not_allowed: 'the symbol is not in the allowed list',
  max_order_notional: 'the order is larger than the maximum order size',
  max_position_notional: 'the position would be larger than the maximum position size',
  max_open_positions: 'too many open positions',
  max_orders_per_minute: 'too many orders in the last minute',
  max_orders_per_day: 'too many orders today',
  cooldown: 'the cooldown after the last order on this symbol had not passed',
  daily_loss_limit: "today's loss limit was reached",
  max_leverage: 'the leverage asked for is above the maximum',
};

/** "Refused by the risk profile: too many orders today"; '' when there is no code. */
export function reasonInWords(code: string, rule = ''): string {
  if (!code) return '';
  const words = CODES[code] ?? code;
  if (!rule) return words;
  return `${words}: ${(RULES as Record<string, string>)[rule] ?? rule}`;
}

export const KNOWN_REJECT_CODES: readonly string[] = Object.keys(CODES);
export const KNOWN_RISK_RULES: readonly string[] = Object.keys(RULES);
