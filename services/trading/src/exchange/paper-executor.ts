import type { TradingModels } from '../models';
import type { AccountBalance, ExchangePosition, OrderExecutor, OrderOutcome, OrderRequest } from './executor';

/** Taker fee applied to paper fills, close to OKX's entry tier. */
const PAPER_FEE_RATE = 0.001;

/**
 * Simulated fills at the alert's (or last) price, balances kept in MongoDB. Spot trades
 * move base and quote; swaps only pay fees here (their PnL is booked from positions).
 */
export class PaperExecutor implements OrderExecutor {
  readonly mode = 'paper';
  readonly onExchange = false;

  constructor(
    private readonly models: TradingModels,
    private readonly userId: string,
    private readonly startingBalance: number,
  ) {}

  /** The balances; a new account is opened (once) with the starting balance. */
  private async account(): Promise<Map<string, number>> {
    let doc = await this.models.PaperAccount.findById(this.userId).lean();
    if (!doc) {
      doc = await this.models.PaperAccount.findOneAndUpdate(
        { _id: this.userId },
        { $setOnInsert: { balances: { USDT: this.startingBalance } } },
        { upsert: true, new: true },
      ).lean();
    }
    return new Map(Object.entries((doc?.balances ?? {}) as Record<string, number>));
  }

  async balance(currency: string): Promise<number> {
    return (await this.account()).get(currency) ?? 0;
  }

  /** Paper balances are never reserved by orders: all of it is free. */
  async balances(): Promise<AccountBalance[]> {
    return [...(await this.account())].filter(([, v]) => v !== 0).map(([currency, total]) => ({ currency, total, free: total }));
  }

  async placeOrder(req: OrderRequest): Promise<OrderOutcome> {
    const balances = await this.account();
    const price = req.type === 'limit' && req.price ? req.price : req.referencePrice;
    const notional = req.baseAmount * price;
    const fee = notional * PAPER_FEE_RATE;
    const quote = balances.get(req.quote) ?? 0;
    const base = balances.get(req.base) ?? 0;
    const changes: Record<string, number> = {};
    if (req.marketType === 'spot') {
      if (req.side === 'buy') {
        if (quote < notional + fee) return insufficient(req.quote, quote, notional + fee);
        changes[req.quote] = -(notional + fee);
        changes[req.base] = req.baseAmount;
      } else {
        if (base + 1e-12 < req.baseAmount) return insufficient(req.base, base, req.baseAmount);
        changes[req.base] = -req.baseAmount;
        changes[req.quote] = notional - fee;
      }
    } else {
      if (quote < fee) return insufficient(req.quote, quote, fee);
      changes[req.quote] = -fee;
    }
    // $inc keeps concurrent fills of one user from overwriting each other.
    await this.models.PaperAccount.updateOne(
      { _id: this.userId },
      { $inc: Object.fromEntries(Object.entries(changes).map(([k, v]) => [`balances.${k}`, v])) },
    );
    return {
      status: 'filled',
      exchangeOrderId: `paper-${req.clientOrderId}`,
      filledBase: req.baseAmount,
      averagePrice: price,
      fee,
      feeCurrency: req.quote,
    };
  }

  /** The paper book is the paper account's truth. */
  async positions(): Promise<ExchangePosition[]> {
    const docs = await this.models.Position.find({ userId: this.userId, mode: this.mode }).lean();
    return docs.filter((p) => p.amount !== 0 && p.symbol.includes(':')).map((p) => ({ symbol: p.symbol, amount: p.amount, entryPrice: p.entryPrice }));
  }

  /** Paper orders fill at once, so there is never anything to follow up. */
  async checkOrder(): Promise<OrderOutcome> {
    return { status: 'filled' };
  }

  /** Swap PnL realised from a position lands in the paper quote balance. */
  async bookRealizedPnl(quote: string, pnl: number): Promise<void> {
    if (pnl !== 0) await this.models.PaperAccount.updateOne({ _id: this.userId }, { $inc: { [`balances.${quote}`]: pnl } });
  }
}

function insufficient(currency: string, have: number, need: number): OrderOutcome {
  return {
    status: 'rejected',
    errorCode: 'exchange_rejected',
    error: `insufficient ${currency} balance in the paper account: ${have.toFixed(8)} < ${need.toFixed(8)}`,
  };
}
