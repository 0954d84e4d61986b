/**
 * The last step of every dialect: turns what was read (an intent, a sentiment, an amount
 * with its unit) into our fields, applying the rules that need several of them at once.
 */
import { malformed, unsupported } from '../alert';
import { setField, type Command } from './command';
import { applySentiment, type Intent, type Sentiment, type SizeKind } from './vocabulary';

export interface Reading {
  intent?: { value: Intent; label: string };
  sentiment?: { value: Sentiment; label: string };
  amount?: { quantity: number; kind?: SizeKind; label: string };
  /** A unit given in a field of its own (quantityType, currency_type, ...). */
  sizeKind?: { value: SizeKind; label: string };
  /** Stop loss / take profit as a distance from the entry price. */
  stopLossPercent?: { value: number; label: string };
  takeProfitPercent?: { value: number; label: string };
}

export function finish(c: Command, r: Reading): Command {
  let intent = r.intent?.value;
  if (intent && r.sentiment) intent = applySentiment(intent, r.sentiment.value, r.sentiment.label);
  if (intent) setField(c, 'action', intent, r.intent!.label);

  if (r.amount) {
    const kind = r.sizeKind?.value ?? r.amount.kind;
    if (kind === 'position_percent') {
      const label = r.sizeKind?.label ?? r.amount.label;
      const closing = intent === 'close' || intent === 'close_long' || intent === 'close_short';
      // Closing all of a position is what our close does; any other share is a partial close.
      if (!closing) throw unsupported(label, `field "${label}": a percentage of the position only works for closing it`);
      if (r.amount.quantity !== 100) throw unsupported(r.amount.label, `field "${r.amount.label}": partial closes are not supported, only 100%`);
    } else if (intent !== 'close' && intent !== 'close_long' && intent !== 'close_short') {
      // A close flattens the whole position whatever quantity it names, so one is not passed on.
      setField(c, 'quantity', r.amount.quantity, r.amount.label);
      if (kind) setField(c, 'size_type', kind, r.sizeKind?.label ?? r.amount.label);
    }
  }

  // A unit without an amount: passed on for the alert checks (a profile may size with it).
  if (!r.amount && r.sizeKind && r.sizeKind.value !== 'position_percent') setField(c, 'size_type', r.sizeKind.value, r.sizeKind.label);

  const ref = (c.fields.limit_price ?? c.fields.price) as unknown;
  const entry = typeof ref === 'number' ? ref : typeof ref === 'string' ? Number(ref) : NaN;
  const long = intent === 'buy';
  const short = intent === 'sell';
  for (const [pct, field, sign] of [
    [r.stopLossPercent, 'stop_loss', -1],
    [r.takeProfitPercent, 'take_profit', 1],
  ] as const) {
    if (!pct || !(long || short)) continue;
    if (!(entry > 0)) throw malformed(pct.label, `field "${pct.label}" is a distance from the entry price, so the message needs "price" too`);
    const dir = long ? sign : -sign;
    setField(c, field, Number((entry * (1 + (dir * pct.value) / 100)).toPrecision(12)), pct.label);
  }
  return c;
}
