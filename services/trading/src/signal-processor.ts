import ccxt from 'ccxt';
import { isDuplicateKeyError, type Logger } from '@tbot/common';
import type { Accounts } from './accounts';
import type { Alert, PartialAlert } from './alert';
import { readAlertCommands, requireComplete } from './alert-dialects';
import type { EntitlementChecker } from './entitlement';
import type { TradingEvents } from './events';
import type { OrderExecutor, OrderOutcome } from './exchange/executor';
import type { MarketCatalog, ResolvedMarket } from './exchange/markets';
import { newId } from './ids';
import type { PaperTriggerDoc, TradeDoc, TradingModels } from './models';
import { armPaperTrigger, type TriggerReason } from './paper-triggers';
import { positionId } from './positions';
import { closingLeg, isClosing, needsEquity, planOrder } from './order-plan';
import type { OrderContext, OrderPlacement } from './order-placement';
import { loadRiskProfile, type StoredProfile } from './risk-profiles';
import type { RiskState } from './risk';
import type { UserLocks } from './user-lock';
import type { ExchangeSnapshots } from './exchange-snapshots';
import { signalDedupeKey } from './signal-key';
import type { Strategies, StoredStrategy } from './strategies';
import { applyStrategyDefaults, effectiveProfile } from './strategy-rules';
import type { WebhookAuth } from './webhook-auth';

export interface SubmitInput {
  /** The per-user URL's user; '' when only the strategy is known (its owner is then the user). */
  userId: string;
  /** The strategy URL's id; '' for the user's default strategy. */
  strategyId: string;
  body: Buffer;
  signature: string;
  sourceIp: string;
  waitMs: number;
  receivedAt: Date;
}

export interface SubmitResult {
  status: 'executed' | 'accepted' | 'duplicate' | 'rejected' | 'failed';
  signalId: string;
  tradeId?: string;
  rejectCode?: string;
  rejectRule?: string;
  message?: string;
}

/** An alert taken in: its commands' outcomes (undefined where execution failed unexpectedly). */
export interface Received {
  /** The last command's signal id: the one the answer names. */
  lastId: string;
  outcomes: Array<Promise<SubmitResult | undefined>>;
}

const settled = (r: SubmitResult): Received => ({ lastId: r.signalId, outcomes: [Promise.resolve(r)] });

/**
 * The answer to give after at most `waitMs`: the last command's outcome (after a flip, where
 * the position ended up; each command's own outcome is on its signal record), or ACCEPTED
 * while any is still executing.
 */
export async function answerWithin(r: Received, waitMs: number): Promise<SubmitResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, waitMs))));
  try {
    const done = await Promise.race([Promise.all(r.outcomes), timeout]);
    return done?.at(-1) ?? { status: 'accepted', signalId: r.lastId };
  } finally {
    clearTimeout(timer);
  }
}

/** What intake settled for a signal that execution needs. */
interface Prepared {
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
const MAX_WAIT_MS = 2_500;

/**
 * A TradingView alert from receipt to order: authenticate, parse, de-duplicate, refuse
 * stale or unentitled signals, check the risk profile, size, place, record. Signals of
 * one user run one at a time (across replicas: UserLocks), so risk counts and positions
 * see each other's effects.
 */
export class SignalProcessor {
  private readonly userQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly d: {
      models: TradingModels;
      auth: WebhookAuth;
      accounts: Accounts;
      strategies: Strategies;
      markets: MarketCatalog;
      entitlement: EntitlementChecker;
      events: TradingEvents;
      locks: UserLocks;
      snapshots: ExchangeSnapshots;
      placement: OrderPlacement;
      logger: Logger;
      maxSignalAgeSeconds: number;
    },
  ) {}

  /** Takes the alert in and waits up to `waitMs` (at most 2.5 s) for its outcome; ACCEPTED after that. */
  async submit(input: SubmitInput): Promise<SubmitResult> {
    return answerWithin(await this.receive(input), Math.min(input.waitMs || MAX_WAIT_MS, MAX_WAIT_MS));
  }

  /**
   * Authenticates, reads, de-duplicates and records the alert, and queues each of its
   * commands; resolves once that is done, with the commands' outcomes still to come.
   */
  async receive(input: SubmitInput): Promise<Received> {
    const { models } = this.d;
    const signalId = newId('sig');
    const raw = input.body.toString('utf8');

    let strategy: StoredStrategy | null = null;
    if (input.strategyId) {
      strategy = await this.d.strategies.byId(input.strategyId);
      // Another user's strategy is answered as a missing one: the caller learns nothing about it.
      if (!strategy || (input.userId && strategy.userId !== input.userId)) {
        this.d.logger.info({ strategy_id: input.strategyId, source_ip: input.sourceIp }, 'alert refused: no such strategy');
        return settled({ status: 'rejected', signalId, rejectCode: 'unknown_strategy', message: 'no strategy has this webhook URL (deleted?)' });
      }
    }
    const userId = strategy?.userId ?? input.userId;
    const strategyId = strategy?.id ?? '';
    const base = { _id: signalId, userId, strategyId, receivedAt: input.receivedAt, sourceIp: input.sourceIp };

    if (!(await this.d.auth.authenticate({ userId, ...(strategy ? { strategyId } : {}) }, input.body, input.signature, raw))) {
      // Not written down: anyone can send alerts with someone's id, and a flood of them must
      // not fill the database. Logged (without the body) and answered.
      this.d.logger.info({ user_id: userId, strategy_id: strategyId || undefined, source_ip: input.sourceIp, signed: Boolean(input.signature) }, 'alert refused: the secret or signature does not match');
      return settled(this.rejected(signalId, userId, 'invalid_secret', 'the secret or signature does not match'));
    }
    const parsed = readAlertCommands(raw);
    if (!parsed.ok) {
      await models.Signal.create({ ...base, status: 'rejected', rejectCode: parsed.code, message: parsed.message });
      return settled(this.rejected(signalId, userId, parsed.code, parsed.message));
    }
    // The strategy's step: its overrides make the profile, its defaults fill what each command
    // left out; only then is a command complete ("symbol" required, order type settled). One
    // refused command refuses the message: half of a two-command flip is not what was asked.
    const profile = effectiveProfile(await loadRiskProfile(models, userId), strategy?.riskOverrides ?? null);
    const commands: Array<{ partial: PartialAlert; alert: Alert; quantityFromStrategy: boolean }> = [];
    for (const c of parsed.commands) {
      const withDefaults = applyStrategyDefaults(c.partial, strategy, { alertQuantityAccepted: profile.allowAlertQuantity });
      const completed = requireComplete(withDefaults.alert, undefined, c.labels);
      if (!completed.ok) {
        await models.Signal.create({ ...base, symbol: withDefaults.alert.symbol ?? '', status: 'rejected', rejectCode: completed.code, message: completed.message });
        return settled(this.rejected(signalId, userId, completed.code, completed.message));
      }
      commands.push({ partial: c.partial, alert: completed.alert, quantityFromStrategy: withDefaults.quantityFromStrategy });
    }

    // Each command of a message is a signal of its own, taken in and executed in the order written.
    const outcomes: Array<Promise<SubmitResult | undefined>> = [];
    let lastId = signalId;
    for (const [command, c] of commands.entries()) {
      lastId = command === 0 ? signalId : newId('sig');
      const prepared: Prepared = { userId, strategyId, alert: c.alert, key: '', profile, quantityFromStrategy: c.quantityFromStrategy };
      const { outcome } = await this.intake(lastId, input, prepared, c.partial, raw, command);
      outcomes.push(outcome.catch(() => undefined));
    }
    return { lastId, outcomes };
  }

  /**
   * One command: refuse a stale signed one, de-duplicate (by the message as received,
   * `partial`, scoped to the strategy), record, queue. Resolves with its outcome.
   */
  private async intake(
    signalId: string,
    input: SubmitInput,
    prepared: Prepared,
    partial: PartialAlert,
    raw: string,
    command: number,
  ): Promise<{ outcome: Promise<SubmitResult> }> {
    const { models } = this.d;
    const { userId, strategyId, alert } = prepared;
    const base = { _id: signalId, userId, strategyId, receivedAt: input.receivedAt, sourceIp: input.sourceIp };
    // Alerts wait in the ALERTS stream while the service is down or busy: one that waited
    // past the age limit is refused like a stale one, rather than trading on an old candle.
    const waitedSeconds = (Date.now() - input.receivedAt.getTime()) / 1000;
    if (waitedSeconds > this.d.maxSignalAgeSeconds) {
      const refusal = `the alert waited ${Math.round(waitedSeconds)} s before it could be executed; the limit is ${this.d.maxSignalAgeSeconds} s`;
      await models.Signal.create({ ...base, symbol: alert.symbol, action: alert.action, status: 'rejected', rejectCode: 'stale_signal', message: refusal });
      return { outcome: Promise.resolve(this.rejected(signalId, userId, 'stale_signal', refusal)) };
    }
    if (input.signature) {
      // A signed body stays valid for whoever captured it: only a recent one is taken, so a
      // replay after the de-duplication window cannot trade again.
      const refusal = signedAlertAge(alert.timestamp, input.receivedAt, this.d.maxSignalAgeSeconds);
      if (refusal) {
        await models.Signal.create({ ...base, symbol: alert.symbol, action: alert.action, status: 'rejected', rejectCode: 'stale_signal', message: refusal });
        return { outcome: Promise.resolve(this.rejected(signalId, userId, 'stale_signal', refusal)) };
      }
    }
    const record = (fields: { status: string; message?: string; dedupeKey?: string }) =>
      models.Signal.create({ ...base, symbol: alert.symbol, action: alert.action, strategy: alert.strategy ?? '', ...fields });
    const key = signalDedupeKey(userId, partial, raw, input.receivedAt, strategyId, command);
    try {
      await models.SignalKey.create({ _id: key, signalId, createdAt: input.receivedAt });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const first = await models.SignalKey.findById(key).lean();
      const original = first ? await models.Signal.findById(first.signalId).lean() : null;
      await record({ status: 'duplicate', message: `repeat of ${first?.signalId ?? 'an earlier signal'}` });
      return { outcome: Promise.resolve({ status: 'duplicate', signalId: first?.signalId ?? signalId, tradeId: original?.tradeIds[0] }) };
    }
    await record({ status: 'accepted', dedupeKey: key });

    // Queued in-process first, so only one of this replica's signals per user waits on the shared lock.
    prepared.key = key;
    const work = this.serialised(userId, () =>
      this.d.locks.run(userId, () => this.execute(signalId, input, prepared)).catch((err: unknown) => this.finishFailed(signalId, err)),
    );
    work.catch((err: unknown) => this.d.logger.error({ err, signal_id: signalId }, 'signal execution failed'));
    // Wrapped: an async function returning the promise itself would wait for the trade.
    return { outcome: work };
  }

  /** Waits for signals still executing (answered ACCEPTED) before the process stops. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.userQueues.values()]);
  }

  private serialised<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.userQueues.get(userId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.userQueues.set(userId, next);
    void next.finally(() => {
      if (this.userQueues.get(userId) === next) this.userQueues.delete(userId);
    }).catch(() => undefined);
    return next;
  }

  private async execute(signalId: string, input: SubmitInput, prepared: Prepared): Promise<SubmitResult> {
    const { userId, alert, key, profile } = prepared;
    const reject = (code: string, message: string, rule?: string) => this.finishRejected(signalId, userId, code, message, rule);

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
    if (!profile.tradingEnabled) return reject('risk_rejected', 'trading is switched off for this account', 'trading_disabled');
    const executor = await this.d.accounts.executor(userId);
    const position = await this.positionOf(userId, executor, market);

    const price =
      alert.orderType === 'limit' && alert.limitPrice ? alert.limitPrice : (alert.price ?? (await this.d.markets.lastPrice(market.symbol)));
    if (!price || !(price > 0)) return reject('unknown_symbol', `no price for ${market.symbol}`);

    const closing = isClosing(alert);
    const plan = planOrder({
      alert,
      profile,
      quantityFromStrategy: prepared.quantityFromStrategy,
      position,
      market,
      price,
      equity: !closing && needsEquity(alert, profile, prepared.quantityFromStrategy) ? await this.d.snapshots.balance(userId, executor, market.quote) : undefined,
      risk: closing ? undefined : { state: await this.riskState(userId, executor, market.symbol, input.receivedAt), now: input.receivedAt },
    });
    if (!plan.ok) return reject(plan.code, plan.message, plan.rule);
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
    if (executor.mode === 'paper' && !failed && !closing) {
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
        },
      },
    );
    if (failed) {
      return { status: 'failed', signalId, tradeId: tradeIds.at(-1), rejectCode: outcome.errorCode ?? 'exchange_rejected', message: outcome.error };
    }
    return { status: 'executed', signalId, tradeId: tradeIds.at(-1) };
  }

  /**
   * Closes a paper position whose stop-loss or take-profit the last price crossed
   * (paper-triggers.ts), in the user's turn like a signal. The trade is recorded under the
   * signal that set the trigger; its clOrdId comes from the trigger, so a second attempt
   * (another replica, a restart) finds it taken instead of closing twice.
   */
  async closeOnTrigger(t: PaperTriggerDoc, reason: TriggerReason, price: number): Promise<void> {
    await this.serialised(t.userId, () =>
      this.d.locks.run(t.userId, async () => {
        const executor = await this.d.accounts.executor(t.userId);
        // The user moved to OKX meanwhile: paper triggers no longer apply.
        if (executor.mode !== 'paper') return;
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
      }),
    );
  }

  private orderContext(signalId: string, p: Prepared): OrderContext {
    return { signalId, userId: p.userId, strategyId: p.strategyId, key: p.key, alert: p.alert, marginMode: p.profile.marginMode };
  }

  /**
   * The signed base amount held in `market`: on OKX, a swap position as OKX reports it (a
   * position closed by hand or liquidated is gone there); otherwise the service's book.
   */
  private async positionOf(userId: string, executor: OrderExecutor, market: ResolvedMarket): Promise<number> {
    if (executor.mode !== 'paper' && market.type === 'swap') {
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
    const held =
      mode === 'paper'
        ? positions
        : [...positions.filter((p) => !p.symbol.includes(':')), ...(await this.d.snapshots.positions(userId, executor))];
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
  private async finishFailed(signalId: string, err: unknown): Promise<SubmitResult> {
    this.d.logger.error({ err, signal_id: signalId }, 'signal could not be executed');
    // ccxt's errors (markets or prices unavailable) are the exchange's; anything else is ours.
    const exchange = err instanceof ccxt.BaseError;
    const rejectCode = exchange ? 'exchange_unavailable' : 'internal_error';
    const message = exchange ? 'the exchange could not be reached' : 'the signal could not be executed';
    await this.d.models.Signal.updateOne({ _id: signalId }, { $set: { status: 'failed', rejectCode, message } }).catch(() => undefined);
    return { status: 'failed', signalId, rejectCode, message };
  }

  private async finishRejected(signalId: string, userId: string, code: string, message: string, rule?: string): Promise<SubmitResult> {
    await this.d.models.Signal.updateOne({ _id: signalId }, { $set: { status: 'rejected', rejectCode: code, rejectRule: rule ?? '', message } });
    return this.rejected(signalId, userId, code, message, rule);
  }

  private rejected(signalId: string, userId: string, code: string, message: string, rule?: string): SubmitResult {
    this.d.events.emit('trading.signal.rejected', `${signalId}:rejected`, {
      signal_id: signalId,
      user_id: userId,
      reject_code: code,
      rule: rule ?? '',
      message,
    });
    return { status: 'rejected', signalId, rejectCode: code, rejectRule: rule, message };
  }
}

/** Why a signed alert's time is not acceptable (none, too old, too far ahead), or undefined. */
export function signedAlertAge(timestamp: Date | undefined, receivedAt: Date, maxAgeSeconds: number): string | undefined {
  if (!timestamp) return `a signed alert must carry its time ("time" or "timestamp"), within ${maxAgeSeconds} s of now`;
  const ageSeconds = (receivedAt.getTime() - timestamp.getTime()) / 1000;
  if (ageSeconds > maxAgeSeconds) return `the alert is ${Math.round(ageSeconds)} s old; the limit is ${maxAgeSeconds} s`;
  if (-ageSeconds > maxAgeSeconds) return `the alert's time is ${Math.round(-ageSeconds)} s ahead; the limit is ${maxAgeSeconds} s`;
  return undefined;
}
