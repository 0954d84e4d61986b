/**
 * Comma-separated commands, one per line:
 * - PineConnector: LicenseID,command,SYMBOL[,key=value…] ("60123456789,buy,EURUSD,risk=1").
 *   Here the first field holds the webhook secret where PineConnector has the licence id,
 *   so a user moving from PineConnector replaces one value; a secret= parameter wins over it.
 * - TradeWzrd: COMMAND, SYMBOL[, KEY=VALUE…] ("BUY, EURUSD, RISK=2", "CLOSE, EURUSD, SIDE=BUY").
 */
import { malformed } from '../alert';
import { newCommand, setField, type Command } from './command';
import { finish, type Reading } from './finish';
import { applyParams, isVerb, paramOf, secretParam, type Param } from './text-params';
import { intentOf } from './vocabulary';

export type CsvShape = 'pineconnector' | 'tradewzrd';

export const csvTokens = (line: string): string[] => line.split(',').map((t) => t.trim());

export function csvShape(tokens: string[]): CsvShape | undefined {
  if (isVerb(tokens[0])) return 'tradewzrd';
  if (tokens.length >= 3 && isVerb(tokens[1])) return 'pineconnector';
  return undefined;
}

/** The secret a line carries: secret=…, else PineConnector's licence position. */
export function csvSecret(tokens: string[]): string | undefined {
  const fromParam = secretParam(tokens);
  if (fromParam !== undefined) return fromParam;
  return csvShape(tokens) === 'pineconnector' && tokens[0] !== '' ? tokens[0] : undefined;
}

export function readCsvCommand(line: string): Command {
  const tokens = csvTokens(line);
  const shape = csvShape(tokens);
  if (!shape) {
    throw malformed('command', 'a comma-separated command must be "ACTION, SYMBOL, KEY=VALUE…" or "SECRET,action,SYMBOL,key=value…"');
  }
  const at = shape === 'tradewzrd' ? 0 : 1;
  const c = newCommand();
  const r: Reading = { intent: { value: intentOf(tokens[at], 'command'), label: 'command' } };
  const symbol = tokens[at + 1];
  if (symbol !== undefined && symbol !== '' && !paramOf(symbol)) setField(c, 'symbol', symbol, 'symbol');
  const params: Param[] = [];
  for (const t of tokens.slice(symbol !== undefined && !paramOf(symbol) ? at + 2 : at + 1)) {
    if (t === '') continue;
    const p = paramOf(t);
    if (!p) throw malformed('command', `"${t.length > 20 ? `${t.slice(0, 17)}...` : t}" is not KEY=VALUE`);
    params.push(p);
  }
  if (shape === 'pineconnector' && tokens[0] !== '') setField(c, 'secret', tokens[0], 'licence');
  applyParams(c, r, params);
  return finish(c, r);
}
