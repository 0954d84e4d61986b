import type { UserLocks } from './user-lock';

/**
 * A user's signals and paper-trigger closes run one at a time: queued in-process first, so
 * only one of this replica's per user waits on the shared lock (UserLocks, across replicas).
 * Risk counts and positions then see each other's effects.
 */
export class UserTurns {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly locks: UserLocks) {}

  run<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(userId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.locks.run(userId, fn));
    this.queues.set(userId, next);
    void next
      .finally(() => {
        if (this.queues.get(userId) === next) this.queues.delete(userId);
      })
      .catch(() => undefined);
    return next;
  }

  /** Waits for every queued turn (graceful shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
  }
}
