import type { TradingModels } from './models';

export interface Fill {
  userId: string;
  mode: string;
  symbol: string;
  side: 'buy' | 'sell';
  baseAmount: number;
  price: number;
}

/**
 * Net position per user, mode and symbol (positive long, negative short) with its
 * average entry. Returns the PnL realised by the part of the fill that reduced it.
 */
export function nextPosition(
  current: { amount: number; entryPrice: number },
  fill: Pick<Fill, 'side' | 'baseAmount' | 'price'>,
): { amount: number; entryPrice: number; realizedPnl: number } {
  const delta = fill.side === 'buy' ? fill.baseAmount : -fill.baseAmount;
  const a = current.amount;
  if (a === 0 || Math.sign(a) === Math.sign(delta)) {
    const total = Math.abs(a) + Math.abs(delta);
    const entry = total === 0 ? 0 : (Math.abs(a) * current.entryPrice + Math.abs(delta) * fill.price) / total;
    return { amount: round(a + delta), entryPrice: entry, realizedPnl: 0 };
  }
  const closed = Math.min(Math.abs(a), Math.abs(delta));
  const realizedPnl = (fill.price - current.entryPrice) * closed * Math.sign(a);
  const amount = round(a + delta);
  // Crossing through zero opens the remainder at the fill price.
  const entryPrice = amount === 0 ? 0 : Math.sign(amount) === Math.sign(a) ? current.entryPrice : fill.price;
  return { amount, entryPrice, realizedPnl };
}

/** Float noise from repeated adds must not leave a 1e-17 "position" open. */
function round(x: number): number {
  const r = Math.round(x * 1e12) / 1e12;
  return Object.is(r, -0) ? 0 : r;
}

/** A position's _id: one per user, mode and symbol. */
export const positionId = (userId: string, mode: string, symbol: string) => `${userId}|${mode}|${symbol}`;

export async function applyFill(models: TradingModels, fill: Fill): Promise<number> {
  const _id = positionId(fill.userId, fill.mode, fill.symbol);
  const current = (await models.Position.findById(_id).lean()) ?? { amount: 0, entryPrice: 0, realizedPnl: 0 };
  const next = nextPosition(current, fill);
  await models.Position.updateOne(
    { _id },
    {
      $set: { userId: fill.userId, mode: fill.mode, symbol: fill.symbol, amount: next.amount, entryPrice: next.entryPrice, updatedAt: new Date() },
      $inc: { realizedPnl: next.realizedPnl },
    },
    { upsert: true },
  );
  return next.realizedPnl;
}
