import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError, writeErrorsOf, type Logger } from '@tbot/common';
import type { Models, UserDoc } from './models';

/**
 * Another writer (a batch on another replica, an RPC on this one) is changing the user
 * right now. Not a failure of the event: it is tried again shortly.
 */
export class UserBusyError extends Error {
  readonly code = 'user_busy';
  constructor(userId: string) {
    super(`user ${userId} is being changed by another writer`);
    this.name = 'UserBusyError';
  }
}

/** The unit of work a ledger batch runs its effects in. */
export interface UnitOfWork {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Writes what the effects changed. */
  commit(): Promise<void>;
  /** Lets other writers at the users again; always called, also after a failure. */
  release(): Promise<void>;
}

export interface HeldUser {
  /** The user as this batch sees it (its own changes applied); null when there is no such user. */
  doc: UserDoc | null;
  /** Fields changed by this batch, written at commit. */
  changes: Record<string, unknown>;
}

interface Options {
  /** How long a lock is good for: a holder that died is taken over after this. */
  leaseMs: number;
  /** How long to wait for another writer before answering UserBusyError. */
  waitMs: number;
}

/**
 * Subscription state is changed one batch at a time per user, and each user is read once
 * and written once per batch, whatever number of its events the batch holds:
 *  - the batch locks the user (an insert into the small `user_locks`, unique _id), so no
 *    other replica or RPC changes it meanwhile;
 *  - reads it by _id, decides every event against that copy in memory (stale, not
 *    current, applied), and writes the result once with a plain _id filter.
 * On MongoDB a conditional findOneAndUpdate per event would do; on FerretDB 1.x any
 * filter beyond a bare _id makes the database read and decode the whole users
 * collection in Go for every event, while a bare _id filter is answered by SQLite or
 * PostgreSQL itself. The lock is what makes the bare _id write safe.
 *
 * A batch that fails before commit writes nothing: the events are delivered again and
 * decided again from what is stored.
 */
export class UserStates {
  private readonly als = new AsyncLocalStorage<StateBatch>();

  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
    private readonly opts: Options = { leaseMs: 30_000, waitMs: 2_000 },
  ) {}

  begin(): StateBatch {
    return new StateBatch(this.models, this.logger, this.opts, this.als);
  }

  /** The batch the calling effect runs in, if any. */
  current(): StateBatch | undefined {
    return this.als.getStore();
  }

  /** Runs fn in the caller's batch, or in a batch of its own that is committed at once. */
  async within<T>(fn: (batch: StateBatch) => Promise<T>): Promise<T> {
    const batch = this.current();
    if (batch) return fn(batch);
    const own = this.begin();
    try {
      const result = await own.run(() => fn(own));
      await own.commit();
      return result;
    } finally {
      await own.release();
    }
  }
}

export class StateBatch implements UnitOfWork {
  private readonly held = new Map<string, Promise<HeldUser>>();
  private readonly locked = new Set<string>();
  private readonly holder = randomUUID();
  private readonly lockQueue: Array<{ userId: string; resolve: (ok: boolean) => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
    private readonly opts: Options,
    private readonly als: AsyncLocalStorage<StateBatch>,
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.als.run(this, fn);
  }

  /** The user, locked for this batch and read once. */
  user(userId: string): Promise<HeldUser> {
    let held = this.held.get(userId);
    if (!held) {
      held = this.load(userId);
      this.held.set(userId, held);
    }
    return held;
  }

  private async load(userId: string): Promise<HeldUser> {
    await this.lock(userId);
    const doc = (await this.models.User.findById(userId).lean()) as UserDoc | null;
    return { doc, changes: {} };
  }

  private async lock(userId: string): Promise<void> {
    const deadline = Date.now() + this.opts.waitMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      if (await this.tryLock(userId)) return;
      if (Date.now() + pause > deadline) throw new UserBusyError(userId);
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  /** Inserts the lock, together with the others asked for in the same tick (one round trip). */
  private tryLock(userId: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.lockQueue.push({ userId, resolve, reject });
      if (this.lockQueue.length === 1) setImmediate(() => void this.insertLocks());
    });
  }

  private async insertLocks(): Promise<void> {
    const asked = this.lockQueue.splice(0);
    const { UserLock } = this.models;
    const now = new Date();
    const until = new Date(now.getTime() + this.opts.leaseMs);
    const held = new Set<number>();
    try {
      await UserLock.collection.insertMany(asked.map((a) => ({ _id: a.userId, holder: this.holder, until })) as never[], { ordered: false });
    } catch (err) {
      if (!isDuplicateKeyError(err)) {
        for (const a of asked) a.reject(err);
        return;
      }
      const list = writeErrorsOf(err);
      // Without the list, which ones failed is unknown: all are checked as held.
      for (const w of list.length > 0 ? list : asked.map((_, index) => ({ index }))) held.add(w.index);
    }
    await Promise.all(
      asked.map(async (a, i) => {
        try {
          if (!held.has(i)) {
            this.locked.add(a.userId);
            return a.resolve(true);
          }
          // Held: ours to take only if its holder let the lease run out (it died), or it is ours already.
          const stale = await UserLock.findOneAndUpdate(
            { _id: a.userId, $or: [{ until: { $lte: now } }, { holder: this.holder }] },
            { $set: { holder: this.holder, until } },
          ).lean();
          if (stale && stale.holder !== this.holder) this.logger.warn({ user_id: a.userId, holder: stale.holder }, 'took over an expired user lock');
          if (stale) this.locked.add(a.userId);
          a.resolve(Boolean(stale));
        } catch (err) {
          a.reject(err);
        }
      }),
    );
  }

  async commit(): Promise<void> {
    const writes: Array<{ updateOne: { filter: { _id: string }; update: { $set: Record<string, unknown> } } }> = [];
    for (const [userId, held] of this.held) {
      // A user that could not be locked has no changes (its events failed already).
      const h = await held.catch(() => undefined);
      if (h && Object.keys(h.changes).length > 0) writes.push({ updateOne: { filter: { _id: userId }, update: { $set: h.changes } } });
    }
    // One after another, in bulk: FerretDB on SQLite runs concurrent writes slower than
    // serial ones (they contend for the database lock), and stops answering bulk
    // updates of 50 statements or more.
    for (let i = 0; i < writes.length; i += 32) {
      await this.models.User.bulkWrite(writes.slice(i, i + 32), { ordered: false });
    }
  }

  async release(): Promise<void> {
    // Settle loads still running before the locks they may take are let go.
    await Promise.allSettled(this.held.values());
    if (this.locked.size === 0) return;
    await this.models.UserLock.deleteMany({ _id: { $in: [...this.locked] }, holder: this.holder });
    this.locked.clear();
  }
}
