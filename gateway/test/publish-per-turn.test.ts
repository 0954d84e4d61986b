import { AsyncLocalStorage } from 'node:async_hooks';
import { startedPerTurn } from '../src/publish-per-turn';

describe('startedPerTurn', () => {
  it('starts the calls of one turn together after it, so their writes can share one flush', async () => {
    const started: string[] = [];
    // Stands in for nats.js: the first call of a batch schedules one flush in a microtask.
    const flushes: string[][] = [];
    let pending: string[] = [];
    const publish = startedPerTurn(async (id: string) => {
      if (pending.length === 0) {
        queueMicrotask(() => {
          flushes.push(pending);
          pending = [];
        });
      }
      pending.push(id);
      started.push(id);
      return id.toUpperCase();
    });
    const results = Promise.all([publish('a'), publish('b'), publish('c')]);
    expect(started).toEqual([]);
    await expect(results).resolves.toEqual(['A', 'B', 'C']);
    expect(flushes).toEqual([['a', 'b', 'c']]);

    // A later turn is a new batch.
    await publish('d');
    expect(flushes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it("runs each call in its caller's async context (its trace)", async () => {
    const als = new AsyncLocalStorage<string>();
    const publish = startedPerTurn(async () => als.getStore());
    const seen = await Promise.all(['req-1', 'req-2'].map((id) => als.run(id, () => publish(undefined))));
    expect(seen).toEqual(['req-1', 'req-2']);
  });

  it('rejects only the call that failed, also when it throws before returning a promise', async () => {
    const publish = startedPerTurn((n: number): Promise<number> => {
      if (n === 1) throw new Error('sync failure');
      if (n === 2) return Promise.reject(new Error('no PubAck'));
      return Promise.resolve(n);
    });
    const [ok, syncFail, asyncFail] = await Promise.allSettled([publish(0), publish(1), publish(2)]);
    expect(ok).toEqual({ status: 'fulfilled', value: 0 });
    expect(syncFail).toMatchObject({ status: 'rejected', reason: { message: 'sync failure' } });
    expect(asyncFail).toMatchObject({ status: 'rejected', reason: { message: 'no PubAck' } });
  });
});
