/**
 * Realized PnL by UTC day: summed here rather than in an aggregation pipeline because FerretDB
 * 1.x (the local and test database) lacks the date operators a $group by day needs, and a
 * user's trades over a year are few enough to read.
 */
export interface PnlDay {
  day: string;
  realizedPnl: number;
}

export const MAX_PNL_DAYS = 366;

/** Midnight UTC of the first day of a window of `days` days ending today. */
export function pnlWindowStart(days: number, now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
}

/**
 * Every day of the window (oldest first, empty days as 0) and the running sum. Trades outside
 * the window are ignored. Sums are rounded to 1e-8 so float noise does not show as PnL.
 */
export function pnlByDay(trades: ReadonlyArray<{ createdAt: Date; realizedPnl: number }>, days: number, now: Date): { daily: PnlDay[]; cumulative: PnlDay[] } {
  const start = pnlWindowStart(days, now);
  const sums = new Map<string, number>();
  const daily: PnlDay[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    sums.set(day, 0);
  }
  for (const t of trades) {
    const day = t.createdAt.toISOString().slice(0, 10);
    const sum = sums.get(day);
    if (sum !== undefined) sums.set(day, sum + (t.realizedPnl || 0));
  }
  const cumulative: PnlDay[] = [];
  let running = 0;
  for (const [day, sum] of sums) {
    running += sum;
    daily.push({ day, realizedPnl: round(sum) });
    cumulative.push({ day, realizedPnl: round(running) });
  }
  return { daily, cumulative };
}

const round = (n: number): number => Math.round(n * 1e8) / 1e8 || 0;
