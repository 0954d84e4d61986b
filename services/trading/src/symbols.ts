/**
 * Maps the symbol in an alert (TradingView's `{{ticker}}`, with or without `{{exchange}}:`,
 * or OKX's / ccxt's own spelling) to a ccxt unified symbol on OKX.
 *
 * Nothing here guesses: an order on the wrong market is worse than no order, so any input that
 * does not match one of the known spellings exactly is refused with a reason the user can act on.
 * The caller still checks the result against the exchange's loaded markets.
 */

export interface MarketRef {
  symbol: string;
  type: 'spot' | 'swap';
}

export type SymbolResult = { ok: true; market: MarketRef } | { ok: false; reason: string };

/** Quote currencies a concatenated pair such as `BTCUSDT` may end with. */
export const KNOWN_QUOTES: readonly string[] = ['USDT', 'USDC', 'USD', 'BTC', 'ETH', 'EUR', 'DAI'];

// Longest first, so that a suffix never shadows a longer one that also matches.
const QUOTES_LONGEST_FIRST = [...KNOWN_QUOTES].sort((a, b) => b.length - a.length);

const ASSET = /^[A-Z0-9]{2,10}$/;

const refuse = (reason: string): SymbolResult => ({ ok: false, reason });

function make(base: string, quote: string, swap: boolean, input: string): SymbolResult {
  if (!ASSET.test(base)) return refuse(`"${input}": base currency "${base}" must be 2–10 letters or digits`);
  if (!ASSET.test(quote)) return refuse(`"${input}": quote currency "${quote}" must be 2–10 letters or digits`);
  if (base === quote) return refuse(`"${input}": base and quote are the same currency`);
  if (!swap) return { ok: true, market: { symbol: `${base}/${quote}`, type: 'spot' } };
  // OKX's USD-quoted perpetuals (BTC-USD-SWAP, TradingView's BTCUSD.P) are inverse: settled in
  // the base coin with contracts worth a fixed USD amount. Sizing assumes linear contracts worth
  // `contractSize` base each, so trading them would size orders wrongly.
  if (quote === 'USD') {
    return refuse(`"${input}": ${base}-USD perpetuals on OKX are inverse (coin-margined) swaps, which are not supported; use ${base}USDT.P or ${base}USDC.P`);
  }
  return { ok: true, market: { symbol: `${base}/${quote}:${quote}`, type: 'swap' } };
}

export function normalizeSymbol(input: string): SymbolResult {
  if (typeof input !== 'string') return refuse('symbol must be a string');
  const shown = input.length > 48 ? `${input.slice(0, 45)}...` : input;
  let s = input.trim().toUpperCase();
  if (s === '') return refuse('symbol is empty');
  if (/\s/.test(s)) return refuse(`"${shown}": symbol must not contain spaces`);

  // An exchange prefix, as in TradingView's "{{exchange}}:{{ticker}}". A colon after a slash is
  // instead the settle currency of a unified swap symbol (BTC/USDT:USDT).
  // The prefix names the chart's data source, not where to trade: most crypto charts are
  // BINANCE's, and the user sent the alert to us to trade on OKX, so BINANCE:BTCUSDT is OKX's
  // BTC/USDT (issue #7). The pair itself is still matched exactly.
  const prefix = /^([A-Z0-9_]+):(.*)$/.exec(s);
  if (prefix) {
    s = prefix[2] as string;
    if (s === '') return refuse(`"${shown}": nothing after the exchange prefix`);
  }

  // Perpetuals written with PERP (Binance's BTCUSDTPERP, FTX's BTC-PERP): the same as ".P".
  if (s.endsWith('PERP') && !s.includes('/')) {
    const pair = s.slice(0, -4).replace(/[-_]$/, '');
    const quote = QUOTES_LONGEST_FIRST.find((q) => pair.endsWith(q) && pair.length > q.length);
    // FTX's BTC-PERP names no quote currency; guessing USDT would be guessing the market.
    if (quote === undefined || /[-_]/.test(pair)) {
      return refuse(`"${shown}": a perpetual must name its quote currency, e.g. ${pair.replace(/[-_].*$/, '') || 'BTC'}USDT.P or ${pair.replace(/[-_].*$/, '') || 'BTC'}-USDT-SWAP`);
    }
    return make(pair.slice(0, -quote.length), quote, true, shown);
  }

  // ccxt unified: BASE/QUOTE or BASE/QUOTE:SETTLE
  const unified = /^([^/:]+)\/([^/:]+)(?::([^/:]+))?$/.exec(s);
  if (unified) {
    const [, base, quote, settle] = unified as unknown as [string, string, string, string | undefined];
    if (settle !== undefined && settle !== quote) {
      return refuse(`"${shown}": settled in ${settle}, not in ${quote}; only linear (quote-settled) swaps are supported`);
    }
    return make(base, quote, settle !== undefined, shown);
  }

  // OKX instrument ids: BASE-QUOTE (spot), BASE-QUOTE-SWAP (perpetual)
  if (s.includes('-')) {
    const parts = s.split('-');
    if (parts.length === 2) return make(parts[0] as string, parts[1] as string, false, shown);
    if (parts.length === 3 && parts[2] === 'SWAP') return make(parts[0] as string, parts[1] as string, true, shown);
    if (parts.length === 3 && /^\d{6}$/.test(parts[2] as string)) {
      return refuse(`"${shown}": dated futures are not supported, only spot and perpetual swaps`);
    }
    return refuse(`"${shown}": not a known OKX instrument format (BASE-QUOTE or BASE-QUOTE-SWAP)`);
  }

  // TradingView tickers: BTCUSDT (spot) and BTCUSDT.P (perpetual)
  let swap = false;
  if (s.endsWith('.P')) {
    swap = true;
    s = s.slice(0, -2);
  }
  if (!/^[A-Z0-9]+$/.test(s)) return refuse(`"${shown}": not a recognised symbol format`);
  const quote = QUOTES_LONGEST_FIRST.find((q) => s.endsWith(q));
  if (quote === undefined) {
    return refuse(`"${shown}": cannot tell base from quote; the pair must end in one of ${KNOWN_QUOTES.join(', ')}, or be written as BASE/QUOTE`);
  }
  return make(s.slice(0, -quote.length), quote, swap, shown);
}
