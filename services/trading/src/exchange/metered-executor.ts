import ccxt from 'ccxt';
import type { TradingMetrics } from '../metrics';
import type { AccountBalance, ExchangePosition, OrderExecutor, OrderOutcome, OrderRequest } from './executor';
import { okxCode } from './okx-executor';

/** The code an OKX failure is counted under: OKX's own, else whether it was the network. */
function thrownCode(err: unknown): string | undefined {
  return okxCode(err) ?? (err instanceof ccxt.NetworkError ? 'exchange_unavailable' : undefined);
}

/**
 * An OKX executor that reports order latency and OKX errors (okx_order_seconds,
 * okx_errors_total). A decorator, so the executor stays about OKX and the metrics about
 * counting; the paper book is not wrapped (its latency is the database's).
 */
export class MeteredExecutor implements OrderExecutor {
  readonly onExchange: boolean;
  readonly mode: string;

  constructor(
    private readonly inner: OrderExecutor,
    private readonly metrics: TradingMetrics,
  ) {
    this.onExchange = inner.onExchange;
    this.mode = inner.mode;
  }

  async placeOrder(req: OrderRequest): Promise<OrderOutcome> {
    const started = performance.now();
    let outcome: OrderOutcome | undefined;
    try {
      outcome = await this.outcomeOf('order', () => this.inner.placeOrder(req));
      return outcome;
    } finally {
      this.metrics.order(this.mode, outcome?.status ?? 'error', (performance.now() - started) / 1000);
    }
  }

  checkOrder(req: Pick<OrderRequest, 'symbol' | 'clientOrderId' | 'contractSize' | 'marketType'>, exchangeOrderId: string): Promise<OrderOutcome> {
    return this.outcomeOf('check', () => this.inner.checkOrder(req, exchangeOrderId));
  }

  balance(currency: string): Promise<number> {
    return this.counted('balance', () => this.inner.balance(currency));
  }

  balances(): Promise<AccountBalance[]> {
    return this.counted('balance', () => this.inner.balances());
  }

  positions(): Promise<ExchangePosition[]> {
    return this.counted('positions', () => this.inner.positions());
  }

  bookRealizedPnl(quote: string, pnl: number): Promise<void> {
    return this.inner.bookRealizedPnl(quote, pnl);
  }

  /** An order answer that is a refusal or a failure counts as an OKX error too. */
  private async outcomeOf(operation: string, call: () => Promise<OrderOutcome>): Promise<OrderOutcome> {
    const outcome = await this.counted(operation, call);
    if (outcome.status === 'rejected' || outcome.status === 'failed') {
      this.metrics.okxError(operation, outcome.exchangeCode ?? outcome.errorCode);
    }
    return outcome;
  }

  private async counted<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.metrics.okxError(operation, thrownCode(err));
      throw err;
    }
  }
}
