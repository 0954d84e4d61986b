/** An order as the signal pipeline asks for it. */
export interface OrderRequest {
  symbol: string;
  type: 'market' | 'limit';
  side: 'buy' | 'sell';
  /** Exchange units: base for spot, contracts for swaps. */
  amount: number;
  /** Base-currency amount, for the paper book and positions. */
  baseAmount: number;
  /** Limit price (limit orders). */
  price?: number;
  /** What a paper fill uses: the alert's price or the last price. */
  referencePrice: number;
  reduceOnly: boolean;
  clientOrderId: string;
  /** Swaps: leverage to set on the exchange (in marginMode) before the order. */
  leverage?: number;
  /** Swaps: OKX's tdMode. */
  marginMode: 'cross' | 'isolated';
  /** Trigger prices of the stop-loss and take-profit attached to an opening order. */
  stopLoss?: number;
  takeProfit?: number;
  marketType: 'spot' | 'swap';
  base: string;
  quote: string;
  contractSize?: number;
}

export interface OrderOutcome {
  status: 'submitted' | 'filled' | 'rejected' | 'failed';
  exchangeOrderId?: string;
  /** Filled, in base currency. */
  filledBase?: number;
  averagePrice?: number;
  fee?: number;
  feeCurrency?: string;
  error?: string;
  /** For rejected/failed: exchange_rejected (a retry will not help) or exchange_unavailable. */
  errorCode?: 'exchange_rejected' | 'exchange_unavailable';
  /** OKX's own code for a refusal (sCode, else code), for the user and the trading.order.* events. */
  exchangeCode?: string;
}

/** A position as the exchange (or the paper book) holds it. */
export interface ExchangePosition {
  /** Unified symbol (BTC/USDT:USDT). */
  symbol: string;
  /** Signed base amount: positive long, negative short. */
  amount: number;
  entryPrice: number;
}

/** One currency of an account: what it holds, and what is not tied up in orders or margin. */
export interface AccountBalance {
  currency: string;
  total: number;
  free: number;
}

/** Places and follows orders in one mode (paper, OKX demo, OKX live) for one user. */
export interface OrderExecutor {
  readonly mode: string;
  /**
   * The one place a mode says what it is. True on OKX: the account's swap positions are the
   * truth (sizing, risk, reconciliation) and OKX holds an order's attached stop-loss and
   * take-profit. False for the paper book: positions are the service's own, and a watcher
   * (paper-triggers.ts) holds the stops.
   */
  readonly onExchange: boolean;
  placeOrder(req: OrderRequest): Promise<OrderOutcome>;
  /** Looks an order up again (follow-up of submitted orders). */
  checkOrder(req: Pick<OrderRequest, 'symbol' | 'clientOrderId' | 'contractSize' | 'marketType'>, exchangeOrderId: string): Promise<OrderOutcome>;
  /** Free balance of a currency (equity for sizing). */
  balance(currency: string): Promise<number>;
  /** Every currency the account holds (non-zero), for the connection test. */
  balances(): Promise<AccountBalance[]>;
  /** Open swap positions, as the account holds them. */
  positions(): Promise<ExchangePosition[]>;
  /**
   * A swap fill realised `pnl` (quote currency): the paper account books it; an exchange
   * has already (OKX settles it into the account itself).
   */
  bookRealizedPnl(quote: string, pnl: number): Promise<void>;
}
