/**
 * What the plain-text dialects share: verbs ("buy", "closelong", "CLOSE") and KEY=VALUE
 * parameters ("risk=1", "vol_lots=1", "secret=…", "SIDE=BUY"). Names are folded like JSON keys.
 *
 * sl=/tp= (PineConnector, TradeWzrd) are distances in pips for MetaTrader; without the
 * instrument's pip size they have no price, and this service places no exit orders, so they
 * are not read.
 */
import { malformed, show } from '../alert';
import { setField, type Command } from './command';
import type { Reading } from './finish';
import { amountOf, fold, intentOf, isIntentWord } from './vocabulary';

export const isVerb = (token: string | undefined): boolean => token !== undefined && /^[A-Za-z_-]+$/.test(token) && isIntentWord(token);

export interface Param {
  key: string;
  value: string;
  label: string;
}

/** "risk=1" → {key: "risk", value: "1"}; undefined when the token is not KEY=VALUE. */
export function paramOf(token: string): Param | undefined {
  const m = /^\s*([A-Za-z][\w-]*)\s*=\s*(.*?)\s*$/.exec(token);
  return m ? { key: fold(m[1]!), value: m[2]!, label: m[1]! } : undefined;
}

/** Applies the parameters of one command line to what was read. Throws AlertError. */
export function applyParams(c: Command, r: Reading, params: Param[]): void {
  for (const p of params) {
    switch (p.key) {
      case 'secret':
        setField(c, 'secret', p.value, p.label);
        break;
      case 'risk':
        // TradeWzrd and PineConnector's "risk": the share of the balance to lose at the stop.
        r.amount = { ...amountOf(p.value, p.label), kind: 'risk_percent', label: p.label };
        break;
      case 'vollots':
      case 'lots':
      case 'qty':
      case 'quantity':
      case 'size':
      case 'amount':
        r.amount = { ...amountOf(p.value, p.label), label: p.label };
        break;
      case 'side': {
        // TradeWzrd "CLOSE, EURUSD, SIDE=BUY": close the buy (long) position.
        if (r.intent?.value !== 'close') throw malformed(p.label, `"${p.label}=" only goes with CLOSE`);
        const side = intentOf(p.value, p.label);
        if (side !== 'buy' && side !== 'sell') throw malformed(p.label, `"${p.label}=" must be BUY or SELL, got ${show(p.value)}`);
        r.intent = { value: side === 'buy' ? 'close_long' : 'close_short', label: p.label };
        break;
      }
      case 'price':
        setField(c, 'price', p.value, p.label);
        break;
      case 'id':
        setField(c, 'id', p.value, p.label);
        break;
      case 'leverage':
        setField(c, 'leverage', p.value, p.label);
        break;
      case 'type':
      case 'ordertype':
        setField(c, 'order_type', p.value.toLowerCase(), p.label);
        break;
      default:
        // Unknown parameters are ignored like unknown JSON fields (tools add their own), and
        // the IGNORED ones on purpose (see above).
        break;
    }
  }
}

/** The secret= parameter of a line, if any. */
export function secretParam(tokens: string[]): string | undefined {
  for (const t of tokens) {
    const p = paramOf(t);
    if (p?.key === 'secret' && p.value !== '') return p.value;
  }
  return undefined;
}
