import { every, isDuplicateKeyError, type Logger, type Periodic } from '@tbot/common';
import type { Accounts } from './accounts';
import type { TradingEvents } from './events';
import type { ExchangePosition } from './exchange/executor';
import type { TradingModels } from './models';
import { positionId } from './positions';
import type { UserLocks } from './user-lock';

export interface PositionDifference {
  symbol: string;
  /** Signed base amounts: what the service's book says and what the exchange holds. */
  ours: number;
  theirs: number;
  theirEntryPrice: number;
}

/** Relative difference below which two amounts are the same position (float noise, lot rounding). */
const TOLERANCE = 1e-9;

/**
 * Swap positions where the book and the exchange disagree: a position closed or changed by
 * hand, a liquidation, a fill the service missed. Symbols either side holds are compared.
 */
export function diffPositions(ours: Array<{ symbol: string; amount: number }>, theirs: ExchangePosition[]): PositionDifference[] {
  const book = new Map(ours.filter((p) => p.symbol.includes(':')).map((p) => [p.symbol, p.amount]));
  const exchange = new Map(theirs.map((p) => [p.symbol, p]));
  const out: PositionDifference[] = [];
  for (const symbol of new Set([...book.keys(), ...exchange.keys()])) {
    const a = book.get(symbol) ?? 0;
    const t = exchange.get(symbol);
    const b = t?.amount ?? 0;
    if (Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b), 1)) continue;
    out.push({ symbol, ours: a, theirs: b, theirEntryPrice: t?.entryPrice ?? 0 });
  }
  return out.sort((x, y) => x.symbol.localeCompare(y.symbol));
}

/**
 * Compares every OKX account's swap positions with the service's book, periodically: each
 * difference is recorded (`position_discrepancies`), announced on
 * `trading.position.mismatch`, and the book is set to what OKX holds, so that later
 * signals (a `close`, the position limits) work from the account as it is.
 */
export class PositionReconciler {
  private loop?: Periodic;

  constructor(
    private readonly d: { models: TradingModels; accounts: Accounts; locks: UserLocks; events: TradingEvents; logger: Logger },
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = every(this.intervalMs, 'position reconciliation', this.d.logger, () => this.sweep());
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** One pass over the OKX accounts; returns how many differences it found. */
  async sweep(): Promise<number> {
    const accounts = await this.d.models.ExchangeAccount.find({ mode: { $in: ['okx', 'okx-demo'] } }, { _id: 1 }).lean();
    let found = 0;
    for (const { _id: userId } of accounts) {
      try {
        // Held while both sides are read and the book corrected: a signal of this user
        // changing the book between the two reads would look like a difference.
        found += await this.d.locks.run(String(userId), () => this.reconcileUser(String(userId)));
      } catch (err) {
        // One account's keys or OKX's answer must not stop the others.
        this.d.logger.warn({ err, user_id: userId }, 'positions could not be reconciled');
      }
    }
    return found;
  }

  private async reconcileUser(userId: string): Promise<number> {
    const { models, events } = this.d;
    const executor = await this.d.accounts.executor(userId);
    // The paper book has no other side to disagree with.
    if (!executor.onExchange) return 0;
    const mode = executor.mode;
    const [ours, theirs] = await Promise.all([models.Position.find({ userId, mode }).lean(), executor.positions()]);
    const diffs = diffPositions(ours, theirs);
    for (const d of diffs) {
      const id = positionId(userId, mode, d.symbol);
      const booked = ours.find((p) => p._id === id);
      // The same difference against the same book state has the same id: a pass that died
      // before correcting the book records and announces it once, not twice.
      const _id = `${id}|${booked?.updatedAt?.getTime() ?? 0}|${d.theirs}`;
      const now = new Date();
      try {
        await models.PositionDiscrepancy.create({ _id, userId, mode, symbol: d.symbol, ours: d.ours, theirs: d.theirs, detectedAt: now });
        this.d.logger.warn({ user_id: userId, mode, symbol: d.symbol, ours: d.ours, theirs: d.theirs }, 'position differs from the exchange');
        events.emit('trading.position.mismatch', _id, { user_id: userId, mode, symbol: d.symbol, ours: d.ours, theirs: d.theirs, detected_at: now.toISOString() });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      await models.Position.updateOne(
        { _id: id },
        { $set: { userId, mode, symbol: d.symbol, amount: d.theirs, entryPrice: d.theirs === 0 ? 0 : d.theirEntryPrice, updatedAt: now } },
        { upsert: true },
      );
    }
    return diffs.length;
  }
}
