/**
 * 3Commas messages that need more than renaming (the signal-bot fields, tv_instrument,
 * enter_long, order{amount, currency_type}, are read by json-fields.ts):
 * - a DCA bot's "start deal" ({"message_type": "bot", "bot_id": …, "pair": "USDT_BTC"}) has
 *   no action: starting a deal is an entry, and a DCA deal is a long unless the bot says
 *   otherwise;
 * - its "pair" is written quote first (USDT_BTC is BTC bought with USDT).
 */
import { malformed, show } from '../alert';
import type { Command, Obj } from './command';
import { fold } from './vocabulary';

export function isDcaStartDeal(body: Obj): boolean {
  return typeof body.message_type === 'string' && fold(body.message_type) === 'bot' && body.bot_id !== undefined;
}

/** "USDT_BTC" → "BTC/USDT". */
export function quoteFirstPair(pair: unknown, label: string): string {
  const m = typeof pair === 'string' ? /^\s*([A-Za-z0-9]{2,10})_([A-Za-z0-9]{2,10})\s*$/.exec(pair) : null;
  if (!m) throw malformed(label, `field "${label}" must be a 3Commas pair written QUOTE_BASE, such as USDT_BTC; got ${show(pair)}`);
  return `${m[2]!.toUpperCase()}/${m[1]!.toUpperCase()}`;
}

/** Adjusts what json-fields.ts read from a 3Commas DCA message. */
export function applyDcaStartDeal(body: Obj, c: Command): Command {
  if (body.pair !== undefined) {
    c.fields.symbol = quoteFirstPair(body.pair, 'pair');
    c.labels.symbol = 'pair';
  }
  if (c.fields.action === undefined) {
    c.fields.action = 'buy';
    c.labels.action = 'message_type';
  }
  return c;
}
