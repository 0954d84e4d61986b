/**
 * Alertatron's scripting syntax: `KeysName(SYMBOL) { market(side=buy, amount=1); }`, one or
 * more blocks, `#` comments, and a trailing `#bot` routing tag. KeysName names the user's
 * exchange keys in Alertatron; here the secret comes as a line `secret=…` (or a secret=
 * argument), since a name is not a secret.
 *
 * Only market orders are carried out (market(position=0) closes). Stop orders, limit
 * ladders, one-cancels-other groups and the other commands need orders resting on the
 * exchange, which this service does not place: they are refused, so that the entry is not
 * placed without the protection the script asks for.
 */
import { malformed, show, unsupported } from '../alert';
import { newCommand, setField, type Command } from './command';
import { finish, type Reading } from './finish';
import { paramOf } from './text-params';
import { amountOf, intentOf } from './vocabulary';

const BLOCK_START = /^\s*[A-Za-z0-9_-]+\s*\(\s*[^()]*\)\s*\{/m;

export const isAlertatron = (text: string): boolean => BLOCK_START.test(text);

const stripComments = (text: string): string => text.replace(/#[^\n]*/g, '');

/** The secret= line or argument of an Alertatron message. */
export function alertatronSecret(text: string): string | undefined {
  const m = /(?:^|[\s,(;])secret\s*=\s*([^\s,;)]+)/im.exec(text);
  return m?.[1];
}

export function readAlertatron(text: string): Command[] {
  const body = stripComments(text).replace(/^\s*secret\s*=\s*\S+\s*$/gim, '');
  const blocks = [...body.matchAll(/([A-Za-z0-9_-]+)\s*\(\s*([^()]*)\)\s*\{([^{}]*)\}/g)];
  if (blocks.length === 0) throw malformed('command', 'an Alertatron message must be KeysName(SYMBOL) { command(...); }');
  const commands: Command[] = [];
  for (const [, , symbols, script] of blocks) {
    const symbolList = symbols!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (symbolList.length !== 1) throw unsupported('symbol', `Alertatron blocks for ${symbolList.length} symbols at once are not supported; give one symbol`);
    for (const m of script!.matchAll(/([A-Za-z]+)\s*\(([^()]*)\)\s*;?/g)) {
      const [, name, args] = m as unknown as [string, string, string];
      if (name.toLowerCase() !== 'market') {
        throw unsupported(name, `Alertatron command ${name}() is not supported; only market() orders are carried out`);
      }
      commands.push(readMarket(symbolList[0]!, args));
    }
  }
  if (commands.length === 0) throw malformed('command', 'the Alertatron block holds no command');
  return commands;
}

function readMarket(symbol: string, args: string): Command {
  const c = newCommand();
  const r: Reading = {};
  setField(c, 'symbol', symbol, 'symbol');
  for (const raw of args.split(',').map((a) => a.trim()).filter((a) => a !== '')) {
    const p = paramOf(raw);
    if (!p) throw malformed('market', `market() argument ${show(raw)} is not name=value`);
    if (p.key === 'side') r.intent = { value: intentOf(p.value, 'side'), label: 'side' };
    else if (p.key === 'amount') r.amount = { ...amountOf(p.value, 'amount'), label: 'amount' };
    else if (p.key === 'position') {
      // position=0 is "flatten"; any other target size would need our position to compute.
      if (Number(p.value) !== 0) throw unsupported('position', 'market(position=…) is only supported as position=0 (close)');
      r.intent = { value: 'close', label: 'position' };
    } else if (p.key === 'secret') setField(c, 'secret', p.value, 'secret');
    else if (p.key !== 'reduceonly') throw unsupported(p.label, `market() argument ${p.label} is not supported`);
  }
  if (!r.intent) throw malformed('side', 'market() needs side=buy or side=sell (or position=0)');
  return finish(c, r);
}
