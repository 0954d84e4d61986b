import { every, type Logger, type Periodic } from '@tbot/common';
import type { Accounts } from './accounts';
import type { MarketCatalog } from './exchange/markets';
import type { TradeDoc, TradingModels } from './models';
import type { OrderPlacement } from './order-placement';

/**
 * Orders OKX had not finished when they were placed (limit orders, slow fills, lost
 * answers) are looked up again until they are final.
 */
export class OrderFollowUp {
  private loop?: Periodic;

  constructor(
    private readonly d: { models: TradingModels; accounts: Accounts; markets: MarketCatalog; placement: OrderPlacement; logger: Logger },
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = every(this.intervalMs, 'order follow-up', this.d.logger, () => this.sweep());
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  async sweep(): Promise<void> {
    const due = await this.d.models.Trade.find({
      status: 'submitted',
      mode: { $ne: 'paper' },
      updatedAt: { $lte: new Date(Date.now() - this.intervalMs) },
    })
      .limit(50)
      .lean();
    for (const trade of due as TradeDoc[]) {
      const resolved = await this.d.markets.resolve(trade.symbol);
      if (!resolved.ok) continue;
      const executor = await this.d.accounts.executor(trade.userId);
      const outcome = await executor.checkOrder(
        { symbol: trade.symbol, clientOrderId: trade.clientOrderId, contractSize: resolved.market.limits.contractSize, marketType: resolved.market.type },
        trade.exchangeOrderId ?? '',
      );
      if (outcome.status === 'submitted') {
        await this.d.models.Trade.updateOne({ _id: trade._id }, { $set: { updatedAt: new Date() } });
        continue;
      }
      await this.d.placement.settle(trade, outcome, executor, resolved.market.quote);
    }
  }
}
