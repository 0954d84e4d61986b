import type { ExchangePosition, OrderExecutor } from './exchange/executor';

/**
 * The account as the exchange reports it (open swap positions, free balances), kept for a
 * few seconds per user and mode: a burst of one user's alerts costs one OKX round trip, not
 * one per alert. Dropped after each fill of that user, so the next signal sees it.
 */
export class ExchangeSnapshots {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly ttlMs: number) {}

  positions(userId: string, executor: OrderExecutor): Promise<ExchangePosition[]> {
    return this.cached(`${userId}|${executor.mode}|positions`, () => executor.positions());
  }

  balance(userId: string, executor: OrderExecutor, currency: string): Promise<number> {
    return this.cached(`${userId}|${executor.mode}|balance|${currency}`, () => executor.balance(currency));
  }

  /** After a fill (or anything else that changed the account). */
  invalidate(userId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${userId}|`)) this.entries.delete(key);
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const value = load();
    this.entries.set(key, { at: now, value });
    // A failed read is not kept: the next signal asks again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > MAX_ENTRIES) this.evictOld(now);
    return value;
  }

  private evictOld(now: number): void {
    for (const [key, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(key);
  }
}

/** Past this many entries, expired ones are dropped (bounded memory with many users). */
const MAX_ENTRIES = 10_000;
