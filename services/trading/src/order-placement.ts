import type { Logger } from '@tbot/common';
import type { Alert } from './alert';
import type { TradingEvents } from './events';
import type { ExchangeSnapshots } from './exchange-snapshots';
import type { OrderExecutor, OrderOutcome, OrderRequest } from './exchange/executor';
import type { ResolvedMarket } from './exchange/markets';
import { newId } from './ids';
import type { TradeDoc, TradingModels } from './models';
import type { Leg } from './order-plan';
import { applyFill } from './positions';
import type { MarginMode } from './risk-profiles';
import { clientOrderId } from './signal-key';

/** Whose order a leg is and what the alert asked of it. */
export interface OrderContext {
  signalId: string;
  userId: string;
  strategyId: string;
  /** The signal's de-duplication key: the clOrdId of each leg derives from it. */
  key: string;
  alert: Pick<Alert, 'orderType' | 'leverage' | 'stopLoss' | 'takeProfit'>;
  marginMode: MarginMode;
}

/**
 * Placement and settlement of orders, for every path that trades: a signal's legs, a paper
 * trigger's close, and the follow-up of orders the exchange had not finished. A trade is
 * recorded before it is sent and settled once (its position applied once), with an event at
 * each step (trading.order.submitted|filled|rejected|failed).
 */
export class OrderPlacement {
  constructor(private readonly d: { models: TradingModels; events: TradingEvents; snapshots: ExchangeSnapshots; logger: Logger }) {}

  /** Records the leg as a trade, sends it to the exchange, and settles the answer. */
  async place(
    ctx: OrderContext,
    executor: OrderExecutor,
    market: ResolvedMarket,
    price: number,
    leg: Leg,
  ): Promise<{ trade: TradeDoc; outcome: OrderOutcome }> {
    const { models, events } = this.d;
    const { signalId, userId, strategyId, alert, key } = ctx;
    const orderType = leg.reduceOnly ? 'market' : alert.orderType;
    const req: OrderRequest = {
      symbol: market.symbol,
      type: orderType,
      side: leg.side,
      amount: leg.amount,
      baseAmount: leg.baseAmount,
      price: orderType === 'limit' ? price : undefined,
      referencePrice: price,
      reduceOnly: leg.reduceOnly,
      clientOrderId: clientOrderId(key, leg.leg),
      // What the alert asked of its position goes with the order that opens it, not with one closing the opposite side.
      leverage: leg.reduceOnly ? undefined : alert.leverage,
      marginMode: ctx.marginMode,
      stopLoss: leg.reduceOnly ? undefined : alert.stopLoss,
      takeProfit: leg.reduceOnly ? undefined : alert.takeProfit,
      marketType: market.type,
      base: market.base,
      quote: market.quote,
      contractSize: market.limits.contractSize,
    };
    // Recorded before it is sent: a crash in between leaves a trade to look up by its clOrdId.
    const trade = (
      await models.Trade.create({
        _id: newId('trd'),
        userId,
        strategyId,
        signalId,
        symbol: req.symbol,
        side: req.side,
        orderType,
        amount: req.amount,
        baseAmount: req.baseAmount,
        price,
        status: 'submitted',
        mode: executor.mode,
        clientOrderId: req.clientOrderId,
        reduceOnly: req.reduceOnly,
      })
    ).toObject() as TradeDoc;
    events.emit('trading.order.submitted', `${trade._id}:submitted`, eventBody(trade));
    let outcome: OrderOutcome;
    try {
      outcome = await executor.placeOrder(req);
    } catch (err) {
      this.d.logger.error({ err, trade_id: trade._id }, 'order placement failed');
      outcome = { status: 'failed', errorCode: 'exchange_unavailable', error: 'the exchange could not be reached' };
    }
    const settled = await this.settle(trade, outcome, executor, market.quote);
    return { trade: settled, outcome };
  }

  /** Stores an order's outcome; a fill updates the position once. */
  async settle(trade: TradeDoc, outcome: OrderOutcome, executor: OrderExecutor, quote: string): Promise<TradeDoc> {
    const { models, events } = this.d;
    const set: Record<string, unknown> = { status: outcome.status };
    if (outcome.status !== 'submitted') set.settledAt = new Date();
    if (outcome.exchangeOrderId) set.exchangeOrderId = outcome.exchangeOrderId;
    if (outcome.averagePrice) set.price = outcome.averagePrice;
    if (outcome.fee !== undefined) set.fee = outcome.fee;
    if (outcome.feeCurrency) set.feeCurrency = outcome.feeCurrency;
    if (outcome.error) set.error = outcome.error;
    if (outcome.filledBase) set.baseAmount = outcome.filledBase;
    await models.Trade.updateOne({ _id: trade._id }, { $set: set });
    if (outcome.status === 'filled') {
      this.d.snapshots.invalidate(trade.userId);
      const claimed = await models.Trade.updateOne({ _id: trade._id, positionApplied: false }, { $set: { positionApplied: true } });
      if (claimed.modifiedCount === 1) {
        const pnl = await applyFill(models, {
          userId: trade.userId,
          mode: trade.mode,
          symbol: trade.symbol,
          side: trade.side as 'buy' | 'sell',
          baseAmount: outcome.filledBase ?? trade.baseAmount,
          price: outcome.averagePrice ?? trade.price,
        });
        const fee = outcome.fee ?? 0;
        await models.Trade.updateOne({ _id: trade._id }, { $set: { realizedPnl: pnl - (pnl !== 0 ? fee : 0) } });
        if (trade.symbol.includes(':')) await executor.bookRealizedPnl(quote, pnl);
      }
    }
    const updated = (await models.Trade.findById(trade._id).lean()) as TradeDoc;
    if (outcome.status !== 'submitted') {
      events.emit(`trading.order.${outcome.status}`, `${trade._id}:${outcome.status}`, eventBody(updated, outcome));
    }
    return updated;
  }
}

function eventBody(t: TradeDoc, outcome?: OrderOutcome): Record<string, unknown> {
  return {
    trade_id: t._id,
    signal_id: t.signalId,
    user_id: t.userId,
    strategy_id: t.strategyId || undefined,
    symbol: t.symbol,
    side: t.side,
    amount: t.amount,
    base_amount: t.baseAmount,
    price: t.price,
    fee: t.fee,
    fee_currency: t.feeCurrency,
    status: t.status,
    mode: t.mode,
    client_order_id: t.clientOrderId,
    exchange_order_id: t.exchangeOrderId,
    reduce_only: t.reduceOnly,
    error: t.error || undefined,
    error_code: outcome?.errorCode,
    exchange_code: outcome?.exchangeCode,
  };
}

