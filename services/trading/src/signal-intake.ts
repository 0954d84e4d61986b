import { activeSpanIds, isDuplicateKeyError, type Logger } from '@tbot/common';
import type { PartialAlert, Alert } from './alert';
import { readAlertCommands, requireComplete } from './alert-dialects';
import type { TradingEvents } from './events';
import { newId } from './ids';
import type { TradingModels } from './models';
import { loadRiskProfile } from './risk-profiles';
import type { Prepared, SignalExecution } from './signal-execution';
import { signalDedupeKey } from './signal-key';
import { rejectedSignal, type SubmitInput, type SubmitResult } from './signal-outcome';
import type { Strategies, StoredStrategy } from './strategies';
import { applyStrategyDefaults, effectiveProfile } from './strategy-rules';
import type { UserTurns } from './user-turns';
import type { WebhookAuth } from './webhook-auth';
import type { TradingMetrics } from './metrics';

export type { SubmitInput, SubmitResult } from './signal-outcome';

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

const MAX_WAIT_MS = 2_500;

/**
 * A TradingView alert's intake: authenticate, read (every dialect, alert-dialects/),
 * complete with the strategy's defaults, refuse a stale or replayed one, de-duplicate,
 * record, and hand each command to execution in the user's turn. Nothing here touches an
 * exchange.
 */
export class SignalIntake {
  constructor(
    private readonly d: {
      models: TradingModels;
      auth: WebhookAuth;
      strategies: Strategies;
      events: TradingEvents;
      execution: SignalExecution;
      turns: UserTurns;
      logger: Logger;
      maxSignalAgeSeconds: number;
      /** Counts each command's outcome (trading_signals_total); unset in tests. */
      metrics?: Pick<TradingMetrics, 'signal'>;
    },
  ) {}

  async submit(input: SubmitInput): Promise<SubmitResult> {
    return answerWithin(await this.receive(input), Math.min(input.waitMs || MAX_WAIT_MS, MAX_WAIT_MS));
  }

  /**
   * Authenticates, reads, de-duplicates and records the alert, and queues each of its
   * commands; resolves once that is done, with the commands' outcomes still to come.
   */
  async receive(input: SubmitInput): Promise<Received> {
    const received = await this.take(input);
    const metrics = this.d.metrics;
    if (metrics) for (const o of received.outcomes) void o.then((r) => metrics.signal(r), () => metrics.signal(undefined));
    return received;
  }

  private async take(input: SubmitInput): Promise<Received> {
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
    const base = signalBase(signalId, userId, strategyId, input);

    if (!(await this.d.auth.authenticate({ userId, ...(strategy ? { strategyId } : {}) }, input.body, input.signature, raw))) {
      // Not written down: anyone can send alerts with someone's id, and a flood of them must
      // not fill the database. Logged (without the body) and answered.
      this.d.logger.info({ user_id: userId, strategy_id: strategyId || undefined, source_ip: input.sourceIp, signed: Boolean(input.signature) }, 'alert refused: the secret or signature does not match');
      return settled(rejectedSignal(this.d.events, signalId, userId, 'invalid_secret', 'the secret or signature does not match'));
    }
    const parsed = readAlertCommands(raw);
    if (!parsed.ok) {
      await models.Signal.create({ ...base, status: 'rejected', rejectCode: parsed.code, message: parsed.message, decidedAt: new Date() });
      return settled(rejectedSignal(this.d.events, signalId, userId, parsed.code, parsed.message));
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
        await models.Signal.create({ ...base, symbol: withDefaults.alert.symbol ?? '', status: 'rejected', rejectCode: completed.code, message: completed.message, decidedAt: new Date() });
        return settled(rejectedSignal(this.d.events, signalId, userId, completed.code, completed.message));
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
    const base = signalBase(signalId, userId, strategyId, input);
    if (input.signature) {
      // A signed body stays valid for whoever captured it: only a recent one is taken, so a
      // replay after the de-duplication window cannot trade again.
      const refusal = signedAlertAge(alert.timestamp, input.receivedAt, this.d.maxSignalAgeSeconds);
      if (refusal) {
        await models.Signal.create({ ...base, symbol: alert.symbol, action: alert.action, status: 'rejected', rejectCode: 'stale_signal', message: refusal, decidedAt: new Date() });
        return { outcome: Promise.resolve(rejectedSignal(this.d.events, signalId, userId, 'stale_signal', refusal)) };
      }
    }
    const record = (fields: { status: string; message?: string; dedupeKey?: string; decidedAt?: Date }) =>
      models.Signal.create({ ...base, symbol: alert.symbol, action: alert.action, strategy: alert.strategy ?? '', ...fields });
    const key = signalDedupeKey(userId, partial, raw, input.receivedAt, strategyId, command);
    try {
      await models.SignalKey.create({ _id: key, signalId, createdAt: input.receivedAt });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const first = await models.SignalKey.findById(key).lean();
      const original = first ? await models.Signal.findById(first.signalId).lean() : null;
      if (input.streamSeq && first && original?.streamSeq === input.streamSeq) {
        // This very message was taken in before (it is not a repeated alert, so no record of
        // one), and the process that took it stopped before its signal was settled (a crash, a
        // kill) or is still at it: finish that signal, in the user's turn so after any
        // execution still running. JetStream's delivery count cannot tell: nats-server hands
        // out a message whose consumer connection died as a first delivery again.
        prepared.key = key;
        const resumed = this.d.turns
          .run(userId, () => this.d.execution.resume(first.signalId, input, prepared))
          .catch((err: unknown) => this.d.execution.finishFailed(first.signalId, err));
        return { outcome: resumed };
      }
      await record({ status: 'duplicate', message: `repeat of ${first?.signalId ?? 'an earlier signal'}`, decidedAt: new Date() });
      return { outcome: Promise.resolve({ status: 'duplicate', signalId: first?.signalId ?? signalId, tradeId: original?.tradeIds[0] }) };
    }
    await record({ status: 'accepted', dedupeKey: key, ...(input.streamSeq ? { streamSeq: input.streamSeq } : {}) });

    // Queued in-process first, so only one of this replica's signals per user waits on the shared lock.
    prepared.key = key;
    const work = this.d.turns.run(userId, () => this.d.execution.execute(signalId, input, prepared)).catch((err: unknown) => this.d.execution.finishFailed(signalId, err));
    work.catch((err: unknown) => this.d.logger.error({ err, signal_id: signalId }, 'signal execution failed'));
    // Wrapped: an async function returning the promise itself would wait for the trade.
    return { outcome: work };
  }

  /** Waits for signals still executing (answered ACCEPTED) before the process stops. */
  drain(): Promise<void> {
    return this.d.turns.drain();
  }
}


/** The fields every signal record of an alert starts with. */
function signalBase(signalId: string, userId: string, strategyId: string, input: SubmitInput) {
  // Taken in inside the span that continues the gateway's trace (through the ALERTS stream's
  // headers, or the RPC's): the dashboard links a signal to it.
  const traceId = activeSpanIds()?.traceId ?? '';
  return { _id: signalId, userId, strategyId, receivedAt: input.receivedAt, sourceIp: input.sourceIp, traceId };
}

/** Why a signed alert's time is not acceptable (none, too old, too far ahead), or undefined. */
export function signedAlertAge(timestamp: Date | undefined, receivedAt: Date, maxAgeSeconds: number): string | undefined {
  if (!timestamp) return `a signed alert must carry its time ("time" or "timestamp"), within ${maxAgeSeconds} s of now`;
  const ageSeconds = (receivedAt.getTime() - timestamp.getTime()) / 1000;
  if (ageSeconds > maxAgeSeconds) return `the alert is ${Math.round(ageSeconds)} s old; the limit is ${maxAgeSeconds} s`;
  if (-ageSeconds > maxAgeSeconds) return `the alert's time is ${Math.round(-ageSeconds)} s ahead; the limit is ${maxAgeSeconds} s`;
  return undefined;
}
