/**
 * Pipe-delimited commands (tradingview-alert-binance-trader): SECRET|strategy name|action|SYMBOL,
 * or without the first two, action|SYMBOL[|quantity].
 */
import { malformed } from '../alert';
import { newCommand, setField, type Command } from './command';
import { finish, type Reading } from './finish';
import { isVerb } from './text-params';
import { amountOf, intentOf } from './vocabulary';

export const pipeTokens = (line: string): string[] => line.split('|').map((t) => t.trim());

export function pipeSecret(tokens: string[]): string | undefined {
  return tokens.length === 4 && isVerb(tokens[2]) && tokens[0] !== '' ? tokens[0] : undefined;
}

export function readPipeCommand(line: string): Command {
  const t = pipeTokens(line);
  const c = newCommand();
  let verb: number;
  if (t.length === 4 && isVerb(t[2])) {
    verb = 2;
    setField(c, 'secret', t[0], 'secret');
    if (t[1] !== '') setField(c, 'strategy', t[1], 'strategy');
  } else if ((t.length === 2 || t.length === 3) && isVerb(t[0])) {
    verb = 0;
  } else {
    throw malformed('command', 'a pipe-delimited command must be "SECRET|strategy|action|SYMBOL" or "action|SYMBOL|quantity"');
  }
  const r: Reading = { intent: { value: intentOf(t[verb], 'action'), label: 'action' } };
  if (t[verb + 1]) setField(c, 'symbol', t[verb + 1], 'symbol');
  if (verb === 0 && t[2]) r.amount = { ...amountOf(t[2], 'quantity'), label: 'quantity' };
  return finish(c, r);
}
