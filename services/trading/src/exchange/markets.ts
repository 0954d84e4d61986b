import type { Logger } from '@tbot/common';
import { normalizeSymbol } from '../symbols';
import type { MarketLimits } from '../sizing';
import { createOkxClient, type Exchange, type Market } from './okx-client';

export interface ResolvedMarket {
  symbol: string;
  type: 'spot' | 'swap';
  base: string;
  quote: string;
  limits: MarketLimits;
  market: Market;
}

/**
 * OKX's markets, loaded once through a public client and shared with every user's
 * client (ccxt's setMarkets), so a new user costs no extra loadMarkets.
 */
export class MarketCatalog {
  private readonly publicClient: Exchange;
  private loading?: Promise<void>;
  private loadedAt = 0;

  constructor(
    apiBase: string | undefined,
    timeoutMs: number,
    private readonly logger: Logger,
    private readonly refreshMs = 6 * 60 * 60 * 1000,
  ) {
    this.publicClient = createOkxClient({ apiBase, timeoutMs });
  }

  get loaded(): boolean {
    return this.loadedAt > 0;
  }

  markets(): Record<string, Market> {
    return (this.publicClient.markets ?? {}) as Record<string, Market>;
  }

  async ensureLoaded(): Promise<void> {
    const stale = Date.now() - this.loadedAt > this.refreshMs;
    if (this.loaded && !stale) return;
    // Always a forced load: ccxt remembers a failed loadMarkets() and would rethrow it.
    this.loading ??= this.publicClient
      .loadMarkets(true)
      .then(() => {
        this.loadedAt = Date.now();
        this.logger.info({ markets: Object.keys(this.markets()).length }, 'OKX markets loaded');
      })
      .finally(() => {
        this.loading = undefined;
      });
    // A stale catalogue still serves while it refreshes.
    if (this.loaded) return;
    await this.loading;
  }

  /** The market for a TradingView symbol, or why there is none. Never guesses. */
  async resolve(input: string): Promise<{ ok: true; market: ResolvedMarket } | { ok: false; reason: string }> {
    const ref = normalizeSymbol(input);
    if (!ref.ok) return ref;
    await this.ensureLoaded();
    const market = this.markets()[ref.market.symbol];
    if (!market || market.active === false) return { ok: false, reason: `OKX has no ${ref.market.type} market ${ref.market.symbol}` };
    return {
      ok: true,
      market: {
        symbol: market.symbol,
        type: ref.market.type,
        base: market.base,
        quote: market.quote,
        market,
        limits: {
          type: ref.market.type,
          amountStep: market.precision.amount ?? 1e-8,
          minAmount: market.limits.amount?.min ?? undefined,
          minCost: market.limits.cost?.min ?? undefined,
          contractSize: market.contractSize ?? undefined,
        },
      },
    };
  }

  async lastPrice(symbol: string): Promise<number | undefined> {
    const ticker = await this.publicClient.fetchTicker(symbol);
    return ticker.last ?? ticker.close ?? undefined;
  }
}
