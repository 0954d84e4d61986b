import ccxt, { type Exchange, type Order } from 'ccxt';
import type { Logger } from '@tbot/common';
import type { AccountBalance, ExchangePosition, OrderExecutor, OrderOutcome, OrderRequest } from './executor';
import { keysRejection, type KeysRejection } from './okx-auth';

/** What the executor was doing when OKX refused the keys. */
export type KeysOperation = 'order' | 'leverage' | 'balance' | 'positions';
/** Told when OKX refuses the account's keys (keys-rejected.ts announces it once per set of keys). */
export type KeysRejectedListener = (rejection: KeysRejection, operation: KeysOperation) => void;

const LOOKUP_ATTEMPTS = 3;

/**
 * Orders on OKX (live or demo) through ccxt. Every order carries a clientOrderId derived
 * from the signal, and after a timeout or network error the order is looked up by it
 * before anything is sent again: one signal never becomes two orders.
 */
export class OkxExecutor implements OrderExecutor {
  readonly onExchange = true;

  constructor(
    readonly mode: 'okx' | 'okx-demo',
    private readonly client: Exchange,
    private readonly logger: Logger,
    private readonly onKeysRejected: KeysRejectedListener = () => undefined,
  ) {}

  /** Tells the listener when `err` is OKX refusing the keys; the caller still handles `err`. */
  private noticeKeys(err: unknown, operation: KeysOperation): KeysRejection | undefined {
    const rejection = keysRejection(err);
    if (rejection) this.onKeysRejected(rejection, operation);
    return rejection;
  }

  /** A read whose refusal of the keys is noticed before the error goes on. */
  private async read<T>(operation: KeysOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.noticeKeys(err, operation);
      throw err;
    }
  }

  async balance(currency: string): Promise<number> {
    const balance = await this.read('balance', () => this.client.fetchBalance());
    const free = (balance.free as unknown as Record<string, number | undefined>)[currency];
    return free ?? 0;
  }

  async balances(): Promise<AccountBalance[]> {
    const balance = await this.read('balance', () => this.client.fetchBalance());
    const total = balance.total as unknown as Record<string, number | undefined>;
    const free = balance.free as unknown as Record<string, number | undefined>;
    return Object.entries(total)
      .filter(([, t]) => typeof t === 'number' && t !== 0)
      .map(([currency, t]) => ({ currency, total: t ?? 0, free: free[currency] ?? 0 }));
  }

  /** OKX's open swap positions (net mode: one per instrument), in signed base units. */
  async positions(): Promise<ExchangePosition[]> {
    const positions = await this.read('positions', () => this.client.fetchPositions(undefined, { instType: 'SWAP' }));
    return positions
      .map((p) => ({
        symbol: p.symbol ?? '',
        amount: (p.contracts ?? 0) * (p.contractSize ?? 1) * (p.side === 'short' ? -1 : 1),
        entryPrice: p.entryPrice ?? 0,
      }))
      .filter((p) => p.symbol !== '' && p.amount !== 0);
  }

  /** OKX settles realised PnL into the account itself. */
  async bookRealizedPnl(): Promise<void> {}

  async placeOrder(req: OrderRequest): Promise<OrderOutcome> {
    const params: Record<string, unknown> = { clientOrderId: req.clientOrderId, ...attachedTpSl(req) };
    if (req.marketType === 'swap') {
      params.tdMode = req.marginMode;
      if (req.reduceOnly) params.reduceOnly = true;
      if (req.leverage !== undefined) {
        const refused = await this.setLeverage(req);
        if (refused) return refused;
      }
    }
    let placed: Order | undefined;
    for (let attempt = 0; attempt < 2 && !placed; attempt++) {
      try {
        placed = await this.client.createOrder(req.symbol, req.type, req.side, req.amount, req.price, params);
      } catch (err) {
        if (isDuplicateClientOrderId(err)) {
          // An earlier attempt got through after all.
          placed = await this.findByClientOrderId(req);
          if (placed) break;
        }
        if (err instanceof ccxt.NetworkError) {
          this.logger.warn({ client_order_id: req.clientOrderId, err: (err as Error).message }, 'order request failed in transit; looking it up');
          placed = await this.findByClientOrderId(req);
          if (placed) break;
          if (attempt === 0) continue; // not there: safe to send again with the same clOrdId
          return { status: 'failed', errorCode: 'exchange_unavailable', error: 'OKX could not be reached' };
        }
        const keys = this.noticeKeys(err, 'order');
        if (keys || err instanceof ccxt.AuthenticationError || err instanceof ccxt.PermissionDenied) {
          return { status: 'rejected', errorCode: 'exchange_rejected', error: 'OKX refused the API credentials', ...(keys?.code ? { exchangeCode: keys.code } : {}) };
        }
        if (err instanceof ccxt.ExchangeError) {
          return { status: 'rejected', errorCode: 'exchange_rejected', error: okxMessage(err), exchangeCode: okxCode(err) };
        }
        throw err;
      }
    }
    if (!placed) return { status: 'failed', errorCode: 'exchange_unavailable', error: 'OKX could not be reached' };
    // OKX answers an order with its id only: the fill comes from looking it up.
    return this.checkOrder(req, placed.id ?? '');
  }

  /**
   * OKX keeps one leverage per instrument and margin mode, applied to the next orders: set
   * it before the order that asked for it. Setting the same value again is harmless, so a
   * retried signal may set it twice.
   */
  private async setLeverage(req: OrderRequest): Promise<OrderOutcome | undefined> {
    try {
      await this.client.setLeverage(req.leverage!, req.symbol, { mgnMode: req.marginMode });
      return undefined;
    } catch (err) {
      if (err instanceof ccxt.NetworkError) return { status: 'failed', errorCode: 'exchange_unavailable', error: 'OKX could not be reached to set the leverage' };
      const keys = this.noticeKeys(err, 'leverage');
      if (keys || err instanceof ccxt.AuthenticationError || err instanceof ccxt.PermissionDenied) {
        return { status: 'rejected', errorCode: 'exchange_rejected', error: 'OKX refused the API credentials', ...(keys?.code ? { exchangeCode: keys.code } : {}) };
      }
      if (err instanceof ccxt.ExchangeError) return { status: 'rejected', errorCode: 'exchange_rejected', error: `leverage ${req.leverage}x: ${okxMessage(err)}`, exchangeCode: okxCode(err) };
      throw err;
    }
  }

  async checkOrder(req: Pick<OrderRequest, 'symbol' | 'clientOrderId' | 'contractSize' | 'marketType'>, exchangeOrderId: string): Promise<OrderOutcome> {
    try {
      // Without an exchange id (the answer to the create was lost), look it up by clOrdId.
      const order = await this.client.fetchOrder(exchangeOrderId, req.symbol, exchangeOrderId ? {} : { clientOrderId: req.clientOrderId });
      return outcomeOf(order, req);
    } catch (err) {
      if (err instanceof ccxt.NetworkError) return { status: 'submitted', exchangeOrderId };
      if (err instanceof ccxt.OrderNotFound && !exchangeOrderId) {
        return { status: 'failed', errorCode: 'exchange_unavailable', error: 'the order never reached OKX' };
      }
      throw err;
    }
  }

  private async findByClientOrderId(req: OrderRequest): Promise<Order | undefined> {
    for (let i = 0; i < LOOKUP_ATTEMPTS; i++) {
      try {
        return await this.client.fetchOrder('', req.symbol, { clientOrderId: req.clientOrderId });
      } catch (err) {
        if (err instanceof ccxt.OrderNotFound) return undefined;
        if (!(err instanceof ccxt.NetworkError)) throw err;
        await new Promise((r) => setTimeout(r, 200 * (i + 1)));
      }
    }
    throw new ccxt.NetworkError(`could not look up order ${req.clientOrderId}`);
  }
}

function outcomeOf(order: Order, req: Pick<OrderRequest, 'contractSize' | 'marketType'>): OrderOutcome {
  const filled = order.filled ?? 0;
  const filledBase = req.marketType === 'swap' ? filled * (req.contractSize ?? 1) : filled;
  const fee = order.fee?.cost !== undefined ? Math.abs(order.fee.cost) : undefined;
  const base = { exchangeOrderId: order.id, filledBase, averagePrice: order.average ?? order.price, fee, feeCurrency: order.fee?.currency };
  switch (order.status) {
    case 'closed':
      return { ...base, status: 'filled' };
    case 'canceled':
    case 'rejected':
    case 'expired':
      return { ...base, status: filled > 0 ? 'filled' : 'rejected', errorCode: filled > 0 ? undefined : 'exchange_rejected', error: filled > 0 ? undefined : `order ${order.status}` };
    default:
      return { ...base, status: 'submitted' };
  }
}

/**
 * The alert's stop-loss and take-profit as OKX's attached algo orders (`attachAlgoOrds`:
 * slTriggerPx/tpTriggerPx with a market order, `-1`, when triggered), which OKX places once
 * the order fills and cancels when the position is closed. ccxt builds them from these params.
 */
function attachedTpSl(req: OrderRequest): Record<string, unknown> {
  if (req.reduceOnly) return {};
  const params: Record<string, unknown> = {};
  if (req.stopLoss !== undefined) params.stopLoss = { triggerPrice: req.stopLoss, type: 'market' };
  if (req.takeProfit !== undefined) params.takeProfit = { triggerPrice: req.takeProfit, type: 'market' };
  return params;
}

function isDuplicateClientOrderId(err: unknown): boolean {
  return err instanceof ccxt.InvalidOrder && /51016/.test((err as Error).message);
}

/** ccxt's message is "okx {json body}": keep OKX's own sentence, not the whole body. */
function okxMessage(err: unknown): string {
  const text = (err as Error).message;
  const s = /"sMsg":"([^"]+)"/.exec(text) ?? /"msg":"([^"]+)"/.exec(text);
  return s?.[1] ?? text.slice(0, 200);
}

/** OKX's code for the refusal: the order's sCode, else the request's code ("0" means none). */
export function okxCode(err: unknown): string | undefined {
  const text = (err as Error).message;
  const c = /"sCode":"(\d+)"/.exec(text) ?? /"code":"(\d+)"/.exec(text);
  return c?.[1] && c[1] !== '0' ? c[1] : undefined;
}
