/**
 * The shortest plain-text command: "buy BTCUSDT 0.01" (verb, symbol, optional quantity with
 * its unit, then optional key=value parameters such as secret=…).
 */
import { malformed } from '../alert';
import { newCommand, setField, type Command } from './command';
import { finish, type Reading } from './finish';
import { applyParams, isVerb, paramOf, type Param } from './text-params';
import { amountOf, intentOf } from './vocabulary';

export const spaceTokens = (line: string): string[] => line.trim().split(/\s+/);

export const isPlainCommand = (tokens: string[]): boolean => isVerb(tokens[0]);

export function readPlainCommand(line: string): Command {
  const tokens = spaceTokens(line);
  if (!isPlainCommand(tokens)) throw malformed('command', 'a plain-text command must start with buy, sell, close, …: "buy BTCUSDT 0.01"');
  const c = newCommand();
  const r: Reading = { intent: { value: intentOf(tokens[0], 'command'), label: 'command' } };
  const params: Param[] = [];
  let positional = 0;
  for (const t of tokens.slice(1)) {
    const p = paramOf(t);
    if (p) {
      params.push(p);
    } else if (positional === 0) {
      setField(c, 'symbol', t, 'symbol');
      positional++;
    } else if (positional === 1) {
      r.amount = { ...amountOf(t, 'quantity'), label: 'quantity' };
      positional++;
    } else {
      throw malformed('command', 'a plain-text command is "ACTION SYMBOL [QUANTITY] [key=value…]"');
    }
  }
  applyParams(c, r, params);
  return finish(c, r);
}
