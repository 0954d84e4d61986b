/**
 * The words dialects use for the same thing, mapped to ours. Spelling differences that mean
 * nothing (case, "-", "_", spaces: "Enter-Long", "enter_long", "OpenLong") are folded first.
 */
import { looseNumber, malformed, show, unsupported, type SizeType } from '../alert';

export const fold = (s: string): string => s.toLowerCase().replace(/[\s_\-.]/g, '');

/** Our action values (alert.ts ACTIONS): buy, sell, close, close_long, close_short. */
export type Intent = 'buy' | 'sell' | 'close' | 'close_long' | 'close_short';

const INTENTS: Readonly<Record<string, Intent>> = {
  buy: 'buy', long: 'buy', enterlong: 'buy', openlong: 'buy', longentry: 'buy', entrylong: 'buy', golong: 'buy',
  sell: 'sell', short: 'sell', entershort: 'sell', openshort: 'sell', shortentry: 'sell', entryshort: 'sell', goshort: 'sell',
  exitlong: 'close_long', closelong: 'close_long', longexit: 'close_long', closebuy: 'close_long',
  exitshort: 'close_short', closeshort: 'close_short', shortexit: 'close_short', closesell: 'close_short',
  close: 'close', exit: 'close', flat: 'close', flatten: 'close', exitall: 'close', closeall: 'close', closeposition: 'close',
};

/**
 * Words of the same vocabularies that ask for something we do not do. Recognised, so the
 * refusal can say so instead of "unknown action".
 */
const UNSUPPORTED_INTENTS: Readonly<Record<string, string>> = {
  cancel: 'cancelling resting orders is not supported',
  cancelall: 'cancelling resting orders is not supported',
  add: 'adding to a position is not supported; send buy or sell with a quantity',
  reverse: '"reverse" is not supported; send buy or sell (an opposite position is closed first when the risk profile says so)',
  disable: 'disabling a bot is not supported',
  closepartial: 'partial closes are not supported',
};

export function isIntentWord(v: unknown): boolean {
  return typeof v === 'string' && (fold(v) in INTENTS || fold(v) in UNSUPPORTED_INTENTS);
}

/** Reads an action-like value; `label` names the user's field in refusals. */
export function intentOf(value: unknown, label: string): Intent {
  if (typeof value === 'string') {
    const k = fold(value);
    const intent = INTENTS[k];
    if (intent) return intent;
    const why = UNSUPPORTED_INTENTS[k];
    if (why) throw unsupported(label, `field "${label}": ${why}`);
  }
  throw malformed(
    label,
    `field "${label}" must be one of buy, sell, long, short, enter_long, exit_long, enter_short, exit_short, close, exit, flat; got ${show(value)}`,
  );
}

export type Sentiment = 'long' | 'short' | 'flat';
const SENTIMENTS: Readonly<Record<string, Sentiment>> = {
  long: 'long', bullish: 'long', short: 'short', bearish: 'short', flat: 'flat', none: 'flat',
};

export function sentimentOf(value: unknown, label: string): Sentiment {
  const s = typeof value === 'string' ? SENTIMENTS[fold(value)] : undefined;
  if (!s) throw malformed(label, `field "${label}" must be one of long, short, flat, bullish, bearish; got ${show(value)}`);
  return s;
}

/**
 * TradersPost's rules for an action with a sentiment (the strategy's position after the
 * order, TradingView's {{strategy.market_position}}), as their docs state them:
 * buy + flat only exits a short, sell + flat only exits a long; buy + long/bullish and
 * sell + short/bearish exit the opposite side and enter. A buy that leaves the strategy
 * still short (or a sell still long) is a partial exit, which we cannot size: refused.
 */
export function applySentiment(intent: Intent, sentiment: Sentiment, label: string): Intent {
  if (intent !== 'buy' && intent !== 'sell') return intent;
  if (sentiment === 'flat') return intent === 'buy' ? 'close_short' : 'close_long';
  const agrees = (intent === 'buy') === (sentiment === 'long');
  if (agrees) return intent;
  throw unsupported(label, `field "${label}" is ${sentiment} after a ${intent}: a partial exit, which is not supported`);
}

/** A size type named in a separate field (quantityType, currency_type, amountPerTradeType, size_type). */
export type SizeKind = SizeType | 'position_percent';
const SIZE_KINDS: Readonly<Record<string, SizeKind | null>> = {
  base: 'base', fixedquantity: 'base', contracts: 'base', quantity: 'base', coin: 'base',
  quote: 'quote', dollaramount: 'quote', usd: 'quote', usdt: 'quote', cost: 'quote',
  percentequity: 'percent_equity', percentofequity: 'percent_equity', percentbalance: 'percent_equity', percentagebalance: 'percent_equity',
  riskpercent: 'risk_percent',
  positionpercent: 'position_percent', percentofposition: 'position_percent',
  riskdollaramount: null,
};

export function sizeKindOf(value: unknown, label: string): SizeKind {
  const k = typeof value === 'string' ? fold(value) : undefined;
  const kind = k !== undefined && Object.prototype.hasOwnProperty.call(SIZE_KINDS, k) ? SIZE_KINDS[k] : undefined;
  if (kind === null) throw unsupported(label, `field "${label}": ${show(value)} is not supported; use base, quote, percent_of_equity or risk_percent`);
  if (kind === undefined) {
    throw malformed(label, `field "${label}" must be one of base, quote, fixed_quantity, dollar_amount, percent_of_equity, risk_percent, position_percent; got ${show(value)}`);
  }
  return kind;
}

/**
 * A quantity whose unit may be written inside the value: "@0.006" (base, vazw), "$20"
 * (quote), "%50" (percent of the position, vazw), "25%" (percent of the balance,
 * Alertatron), "100%a" (of available balance), "100%p" (of the position).
 */
export function amountOf(value: unknown, label: string): { quantity: number; kind?: SizeKind } {
  const n = looseNumber(value);
  if (n !== undefined) return { quantity: n };
  if (typeof value === 'string') {
    const s = value.trim();
    const m = /^([@$%]?)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%[ap]?|)$/i.exec(s);
    if (m) {
      const [, prefix, num, suffix] = m as unknown as [string, string, string, string];
      const quantity = Number(num);
      const unit = `${prefix}${suffix.toLowerCase()}`;
      const kinds: Readonly<Record<string, SizeKind | undefined>> = {
        '': undefined, '@': 'base', $: 'quote', '%': 'percent_equity', '%a': 'percent_equity', '%p': 'position_percent',
      };
      // vazw writes "%50" for a percentage of the position; a trailing % is of the balance.
      const kind = prefix === '%' ? 'position_percent' : kinds[unit];
      if (Number.isFinite(quantity) && (unit in kinds || prefix === '%')) return kind ? { quantity, kind } : { quantity };
    }
  }
  throw malformed(label, `field "${label}" must be a number, optionally with a unit ("@0.01", "$20", "25%", "%50"); got ${show(value)}`);
}

/** "True"/"False" as strings (CryptoGnome), real booleans, 1/0. */
export function booleanOf(value: unknown, label: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
  if (typeof value === 'string') {
    const k = value.trim().toLowerCase();
    if (k === 'true' || k === 'yes' || k === '1') return true;
    if (k === 'false' || k === 'no' || k === '0' || k === '') return false;
  }
  throw malformed(label, `field "${label}" must be true or false, got ${show(value)}`);
}
