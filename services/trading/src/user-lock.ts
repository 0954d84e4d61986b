import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '@tbot/common';

interface LockDoc {
  _id: string;
  owner: string;
  until: Date;
}

const lockSchema = new Schema<LockDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { versionKey: false, collection: 'user_locks' },
);

/**
 * One signal per user at a time across every trading replica, so risk counts and the
 * position book see each other's effects. A lease in MongoDB (a unique _id, taken over
 * once expired, renewed while held) works on MongoDB and FerretDB alike.
 */
export class UserLocks {
  private readonly model: Model<LockDoc>;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    conn: Connection,
    private readonly leaseMs = 15_000,
    private readonly waitMs = 30_000,
  ) {
    this.model = conn.model<LockDoc>('UserLock', lockSchema);
  }

  async run<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(userId);
    const renew = setInterval(() => {
      void this.model
        .updateOne({ _id: userId, owner: this.owner }, { $set: { until: new Date(Date.now() + this.leaseMs) } })
        .catch(() => undefined);
    }, this.leaseMs / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.model.deleteOne({ _id: userId, owner: this.owner }).catch(() => undefined);
    }
  }

  private async acquire(userId: string): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      const until = new Date(now.getTime() + this.leaseMs);
      try {
        await this.model.create({ _id: userId, owner: this.owner, until });
        return;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      // Held: take it over only if its holder stopped renewing (crashed).
      const taken = await this.model.findOneAndUpdate({ _id: userId, until: { $lt: now } }, { $set: { owner: this.owner, until } }).lean();
      if (taken) return;
      if (Date.now() > deadline) throw new Error(`user ${userId} is busy: lock not acquired in ${this.waitMs} ms`);
      await new Promise((r) => setTimeout(r, Math.min(20 * 2 ** Math.min(attempt, 4), 300)));
    }
  }
}
