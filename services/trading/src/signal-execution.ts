import ccxt from 'ccxt';
import { isDuplicateKeyError, type Logger } from '@tbot/common';
import type { Accounts } from './accounts';
import type { Alert } from './alert';
import type { EntitlementChecker } from './entitlement';
import type { TradingEvents } from './events';
import type { OrderExecutor, OrderOutcome } from './exchange/executor';
import type { MarketCatalog, ResolvedMarket } from './exchange/markets';
import type { ExchangeSnapshots } from './exchange-snapshots';
import type { LimitNotices } from './limit-notices';
import type { PaperTriggerDoc, TradeDoc, TradingModels } from './models';
import { closingLeg, isClosing, needsEquity, planOrder } from './order-plan';
import type { OrderContext, OrderPlacement } from './order-placement';
import { armPaperTrigger, type TriggerReason } from './paper-triggers';
import { positionId } from './positions';
import type { RiskState } from './risk';
import type { StoredProfile } from './risk-profiles';
import { rejectedSignal, type SubmitInput, type SubmitResult } from './signal-outcome';
import type { UserTurns } from './user-turns';

/** What intake settled for a signal that execution needs. */
export interface Prepared {
  userId: string;
  strategyId: string;
  alert: Alert;
  key: string;
  /** The user's risk profile with the strategy's overrides applied. */
  profile: StoredProfile;
  /** The strategy's default quantity is in the alert: sized as if the profile allowed alert quantities. */
  quantityFromStrategy: boolean;
}

const LIVE_STATUSES = ['submitted', 'filled'];

/**
 * A signal taken in, from its checks to its order: refuse stale or unentitled signals,
 * check the risk profile, plan (order-plan.ts), place and settle (order-placement.ts), and
 * record the outcome on the signal. Runs in the user's turn (user-turns.ts).
 */
export class SignalExecution {
  constructor(
    private readonly d: {
      models: TradingModels;
      accounts: Accounts;
      markets: MarketCatalog;
      entitlement: EntitlementChecker;
      events: TradingEvents;
      snapshots: ExchangeSnapshots;
      placement: OrderPlacement;
      limits: LimitNotices;
      turns: UserTurns;
      logger: Logger;
      maxSignalAgeSeconds: number;
    },
  ) {}

  async execute(signalId: string, input: SubmitInput, prepared: Prepared): Promise<SubmitResult> {
    const { userId, alert, key, profile } = prepared;
    const reject = (code: string, message: string, rule?: string) => this.finishRejected(signalId, userId, code, message, rule);

    // Alerts wait in the ALERTS stream while the service is down or busy: one that waited
    // past the age limit is refused like a stale one, rather than trading on an old candle.
    const waitedSeconds = (Date.now() - input.receivedAt.getTime()) / 1000;
    if (waitedSeconds > this.d.maxSignalAgeSeconds) {
      return reject('stale_signal', `the alert waited ${Math.round(waitedSeconds)} s before it could be executed; the limit is ${this.d.maxSignalAgeSeconds} s`);
    }
    if (alert.timestamp) {
      const ageSeconds = (input.receivedAt.getTime() - alert.timestamp.getTime()) / 1000;
      if (ageSeconds > this.d.maxSignalAgeSeconds) {
        return reject('stale_signal', `the alert is ${Math.round(ageSeconds)} s old; the limit is ${this.d.maxSignalAgeSeconds} s`);
      }
    }
    const entitlement = await this.d.entitlement.check(userId);
    if (!entitlement.entitled) return reject('not_entitled', entitlement.reason);

    const resolved = await this.d.markets.resolve(alert.symbol);
    if (!resolved.ok) return reject('unknown_symbol', resolved.reason);
    const market = resolved.market;
    // The kill switch stops closing orders too, which skip every other rule.
    if (!profile.tradingEnabled) {
      const message = 'trading is switched off for this account';
      const answer = await reject('risk_rejected', message, 'trading_disabled');
      await this.limitReached({ userId, rule: 'trading_disabled', signalId, message, limit: 0, value: 0, at: input.receivedAt });
      return answer;
    }
    const executor = await this.d.accounts.executor(userId);
    const position = await this.positionOf(userId, executor, market);

    const price =
      alert.orderType === 'limit' && alert.limitPrice ? alert.limitPrice : (alert.price ?? (await this.d.markets.lastPrice(market.symbol)));
    if (!price || !(price > 0)) return reject('unknown_symbol', `no price for ${market.symbol}`);

    const closing = isClosing(alert);
    const risk = closing ? undefined : { state: await this.riskState(userId, executor, market.symbol, input.receivedAt), now: input.receivedAt };
    const plan = planOrder({
      alert,
      profile,
      quantityFromStrategy: prepared.quantityFromStrategy,
      position,
      market,
      price,
      equity: !closing && needsEquity(alert, profile, prepared.quantityFromStrategy) ? await this.d.snapshots.balance(userId, executor, market.quote) : undefined,
      risk,
    });
    if (!plan.ok) {
      const answer = await reject(plan.code, plan.message, plan.rule);
      if (plan.rule === 'daily_loss_limit' && risk) {
        const limit = Math.abs(profile.dailyLossLimit ?? 0);
        await this.limitReached({ userId, rule: plan.rule, signalId, message: plan.message, limit, value: -risk.state.realizedPnlToday, at: input.receivedAt });
      }
      return answer;
    }
    const legs = plan.legs;

    const tradeIds: string[] = [];
    let last: { trade: TradeDoc; outcome: OrderOutcome } | undefined;
    for (const leg of legs) {
      last = await this.d.placement.place(this.orderContext(signalId, prepared), executor, market, price, leg);
      tradeIds.push(last.trade._id);
      if (last.outcome.status === 'rejected' || last.outcome.status === 'failed') break;
    }
    const outcome = last!.outcome;
    const failed = outcome.status === 'rejected' || outcome.status === 'failed';
    if (!executor.onExchange && !failed && !closing) {
      // OKX holds an order's attached stop and target; in paper mode a watcher does.
      const side = alert.action === 'buy' ? 'long' : 'short';
      await armPaperTrigger(this.d.models, { userId, strategyId: prepared.strategyId, symbol: market.symbol, side, stopLoss: alert.stopLoss, takeProfit: alert.takeProfit, signalId });
    }
    await this.d.models.Signal.updateOne(
      { _id: signalId },
      {
        $set: {
          status: failed ? 'failed' : 'executed',
          tradeIds,
          rejectCode: failed ? (outcome.errorCode ?? 'exchange_rejected') : '',
          message: failed ? (outcome.error ?? '') : '',
          decidedAt: new Date(),
        },
      },
    );
    if (failed) {
      return { status: 'failed', signalId, tradeId: tradeIds.at(-1), rejectCode: outcome.errorCode ?? 'exchange_rejected', message: outcome.error };
    }
    return { status: 'executed', signalId, tradeId: tradeIds.at(-1) };
  }

  /**
   * A signal whose alert was taken in by a process that stopped before settling it. In the
   * user's turn (so an execution still running elsewhere has finished): executed now if it
   * is still `accepted` and placed nothing; an order it did place is order follow-up's to
   * settle (looked up by its clOrdId), never placed again.
   */
  async resume(signalId: string, input: SubmitInput, prepared: Prepared): Promise<SubmitResult> {
    const { Signal, Trade } = this.d.models;
    const [signal, trade] = await Promise.all([Signal.findById(signalId).lean(), Trade.findOne({ signalId }, { _id: 1 }).lean()]);
    if (signal?.status === 'accepted' && !trade) {
      this.d.logger.warn({ signal_id: signalId, user_id: prepared.userId }, 'resuming a signal whose execution was interrupted');
      return this.execute(signalId, input, prepared);
    }
    // Settled meanwhile (or its order is follow-up's): answered as what it became.
    const status = signal?.status === 'executed' || signal?.status === 'failed' || signal?.status === 'rejected' ? signal.status : 'duplicate';
    return { status, signalId, tradeId: signal?.tradeIds.at(-1) ?? trade?._id, rejectCode: signal?.rejectCode || undefined, message: signal?.message || undefined };
  }

  /**
   * Closes a paper position whose stop-loss or take-profit the last price crossed
   * (paper-triggers.ts), in the user's turn like a signal. The trade is recorded under the
   * signal that set the trigger; its clOrdId comes from the trigger, so a second attempt
   * (another replica, a restart) finds it taken instead of closing twice.
   */
  async closeOnTrigger(t: PaperTriggerDoc, reason: TriggerReason, price: number): Promise<void> {
    await this.d.turns.run(t.userId, async () => {
      const executor = await this.d.accounts.executor(t.userId);
      // The user moved to OKX meanwhile: paper triggers no longer apply.
      if (executor.onExchange) return;
      const amount = (await this.d.models.Position.findById(positionId(t.userId, 'paper', t.symbol)).lean())?.amount ?? 0;
      // Closed or turned around by a later signal: nothing of this trigger's position is left.
      if (amount === 0 || amount > 0 !== (t.side === 'long')) return;
      const resolved = await this.d.markets.resolve(t.symbol);
      if (!resolved.ok) return;
      const order: OrderContext = {
        signalId: t.signalId,
        userId: t.userId,
        strategyId: t.strategyId ?? '',
        key: `paper-trigger|${t._id}|${t.armedAt.getTime()}|${reason}`,
        alert: { orderType: 'market' },
        // A closing leg carries no leverage, and paper mode has no margin mode.
        marginMode: 'cross',
      };
      try {
        await this.d.placement.place(order, executor, resolved.market, price, closingLeg(amount, resolved.market, 1));
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    });
  }

  private orderContext(signalId: string, p: Prepared): OrderContext {
    return { signalId, userId: p.userId, strategyId: p.strategyId, key: p.key, alert: p.alert, marginMode: p.profile.marginMode };
  }

  /**
   * The signed base amount held in `market`: on OKX, a swap position as OKX reports it (a
   * position closed by hand or liquidated is gone there); otherwise the service's book.
   */
  private async positionOf(userId: string, executor: OrderExecutor, market: ResolvedMarket): Promise<number> {
    if (executor.onExchange && market.type === 'swap') {
      return (await this.d.snapshots.positions(userId, executor)).find((p) => p.symbol === market.symbol)?.amount ?? 0;
    }
    return (await this.d.models.Position.findById(positionId(userId, executor.mode, market.symbol)).lean())?.amount ?? 0;
  }

  private async riskState(userId: string, executor: OrderExecutor, symbol: string, now: Date): Promise<RiskState> {
    const { Trade, Position } = this.d.models;
    const mode = executor.mode;
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const minuteAgo = new Date(now.getTime() - 60_000);
    const [ordersLastMinute, today, lastForSymbol, positions] = await Promise.all([
      Trade.countDocuments({ userId, createdAt: { $gte: minuteAgo }, status: { $in: LIVE_STATUSES } }),
      Trade.find({ userId, createdAt: { $gte: dayStart }, status: { $in: LIVE_STATUSES } }, { realizedPnl: 1 }).lean(),
      Trade.findOne({ userId, symbol, status: { $in: LIVE_STATUSES } }, { createdAt: 1 }).sort({ createdAt: -1 }).lean(),
      Position.find({ userId, mode }).lean(),
    ]);
    // On OKX the swap positions are the account's (spot holdings stay the book's: a balance
    // of BTC is not a position this service opened).
    const held = executor.onExchange
      ? [...positions.filter((p) => !p.symbol.includes(':')), ...(await this.d.snapshots.positions(userId, executor))]
      : positions;
    return {
      ordersLastMinute,
      ordersToday: today.length,
      lastOrderAt: lastForSymbol ? { [symbol]: lastForSymbol.createdAt } : {},
      positions: held.filter((p) => p.amount !== 0).map((p) => ({ symbol: p.symbol, notional: Math.abs(p.amount) * p.entryPrice })),
      realizedPnlToday: today.reduce((sum, t) => sum + (t.realizedPnl ?? 0), 0),
    };
  }

  /**
   * Something failed before an order was settled (OKX's market list unreachable, the
   * database gone): the signal says so rather than staying "accepted" for ever.
   */
  async finishFailed(signalId: string, err: unknown): Promise<SubmitResult> {
    this.d.logger.error({ err, signal_id: signalId }, 'signal could not be executed');
    // ccxt's errors (markets or prices unavailable) are the exchange's; anything else is ours.
    const exchange = err instanceof ccxt.BaseError;
    const rejectCode = exchange ? 'exchange_unavailable' : 'internal_error';
    const message = exchange ? 'the exchange could not be reached' : 'the signal could not be executed';
    await this.d.models.Signal.updateOne({ _id: signalId }, { $set: { status: 'failed', rejectCode, message, decidedAt: new Date() } }).catch(() => undefined);
    return { status: 'failed', signalId, rejectCode, message };
  }

  /** The refusal stands whatever happens here: a notice that cannot be stored is logged, not thrown. */
  private async limitReached(r: Parameters<LimitNotices['reached']>[0]): Promise<void> {
    await this.d.limits.reached(r).catch((err: unknown) => this.d.logger.error({ err, user_id: r.userId, rule: r.rule }, 'risk limit notice could not be recorded'));
  }

  private async finishRejected(signalId: string, userId: string, code: string, message: string, rule?: string): Promise<SubmitResult> {
    await this.d.models.Signal.updateOne({ _id: signalId }, { $set: { status: 'rejected', rejectCode: code, rejectRule: rule ?? '', message, decidedAt: new Date() } });
    return rejectedSignal(this.d.events, signalId, userId, code, message, rule);
  }

}
