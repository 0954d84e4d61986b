import { every, type Logger, type Periodic } from '@tbot/common';
import type { MarketCatalog } from './exchange/markets';
import type { PaperTriggerDoc, TradingModels } from './models';
import { positionId } from './positions';

/**
 * Paper mode's stand-in for the stop-loss and take-profit OKX attaches to an order: the
 * position's triggers are kept in `paper_triggers` (one per paper position) and a watcher
 * closes the position with a reduce-only paper order once the last price crosses one.
 */

export type TriggerReason = 'stop_loss' | 'take_profit';

export interface PaperTriggerInput {
  userId: string;
  strategyId: string;
  symbol: string;
  side: 'long' | 'short';
  stopLoss?: number;
  takeProfit?: number;
  signalId: string;
}


/**
 * Which trigger `price` reaches, if any: a long's stop at or below it, its target at or
 * above; the reverse for a short. The stop wins when both would (a gap through both).
 */
export function triggerCrossed(t: { side: 'long' | 'short'; stopLoss?: number | null; takeProfit?: number | null }, price: number): TriggerReason | undefined {
  if (!(price > 0)) return undefined;
  const long = t.side === 'long';
  if (t.stopLoss != null && (long ? price <= t.stopLoss : price >= t.stopLoss)) return 'stop_loss';
  if (t.takeProfit != null && (long ? price >= t.takeProfit : price <= t.takeProfit)) return 'take_profit';
  return undefined;
}

/**
 * Arms (or replaces) the triggers of a paper position after the order that opened or added
 * to it filled. Like OKX's attached orders, the latest order's stop and target are the ones
 * that count.
 */
export async function armPaperTrigger(models: TradingModels, t: PaperTriggerInput): Promise<void> {
  if (t.stopLoss === undefined && t.takeProfit === undefined) return;
  await models.PaperTrigger.replaceOne(
    { _id: positionId(t.userId, 'paper', t.symbol) },
    {
      userId: t.userId,
      strategyId: t.strategyId,
      symbol: t.symbol,
      side: t.side,
      stopLoss: t.stopLoss ?? null,
      takeProfit: t.takeProfit ?? null,
      signalId: t.signalId,
      state: 'armed',
      armedAt: new Date(),
    },
    { upsert: true },
  );
}

/** What closes a position whose trigger fired (the signal pipeline's placement and settlement). */
export type CloseOnTrigger = (trigger: PaperTriggerDoc, reason: TriggerReason, price: number) => Promise<void>;

/** A firing trigger whose close did not finish (the process died) is taken again after this. */
const FIRING_LEASE_MS = 60_000;

export class PaperTriggerWatcher {
  private loop?: Periodic;

  constructor(
    private readonly d: { models: TradingModels; markets: MarketCatalog; logger: Logger; close: CloseOnTrigger },
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = every(this.intervalMs, 'paper triggers', this.d.logger, () => this.sweep());
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  async sweep(): Promise<void> {
    const { models } = this.d;
    // A small collection (one entry per open paper position with a stop or target).
    const triggers = (await models.PaperTrigger.find({}).lean()) as PaperTriggerDoc[];
    const prices = new Map<string, number | undefined>();
    for (const t of triggers) {
      if (t.state === 'firing' && t.firingSince && Date.now() - t.firingSince.getTime() < FIRING_LEASE_MS) continue;
      if (!prices.has(t.symbol)) prices.set(t.symbol, await this.d.markets.lastPrice(t.symbol).catch(() => undefined));
      const price = prices.get(t.symbol);
      const reason = price === undefined ? undefined : triggerCrossed(t, price);
      if (!reason || price === undefined) continue;
      // Claimed by one replica: the state moves on only from what this one read.
      const claimed = await models.PaperTrigger.updateOne(
        { _id: t._id, state: t.state, armedAt: t.armedAt },
        { $set: { state: 'firing', firingSince: new Date() } },
      );
      if (claimed.modifiedCount !== 1) continue;
      this.d.logger.info({ user_id: t.userId, symbol: t.symbol, reason, price }, 'paper trigger fired');
      await this.d.close(t, reason, price);
      await models.PaperTrigger.deleteOne({ _id: t._id, armedAt: t.armedAt });
    }
  }
}
