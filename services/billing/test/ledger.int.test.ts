import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLogger, ensureStream, Outbox } from '@tbot/common';
import { ensureNats, freePort, startFerretDB, type Child } from '@tbot/local-stack/dist';
import mongoose from 'mongoose';
import { connect, type NatsConnection } from 'nats';
import { EventLedger, type EffectResult, type LedgerItem } from '../src/ledger';
import { backfillClaims, createModels, type Models } from '../src/models';
import { PlanCatalog } from '../src/plans';
import { Subscriptions, type StateChange } from '../src/subscriptions';
import { UserBusyError, UserStates } from '../src/user-state';

// The exactly-once ledger and the per-user batches on a real FerretDB (or TEST_MONGODB_URI)
// and a real NATS: what the webhook consumer and the Apply* RPCs build on.

const logger = createLogger('ledger-test', 'silent');
const PLANS = path.resolve(__dirname, '..', 'plans.json');

describe('event ledger and user state batches', () => {
  let dir: string;
  let ferret: Child | undefined;
  let natsChild: Child | undefined;
  let nc: NatsConnection;
  let conn: mongoose.Connection;
  let models: Models;
  let outbox: Outbox;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-ledger-'));
    let uri = process.env.TEST_MONGODB_URI;
    if (!uri) {
      const f = await startFerretDB({ dataDir: path.join(dir, 'ferretdb'), sink: () => undefined });
      ferret = f.child;
      uri = f.uri;
    }
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    natsChild = await ensureNats(natsUrl, path.join(dir, 'nats'), () => undefined);
    nc = await connect({ servers: natsUrl });
    conn = await mongoose.createConnection(uri, { dbName: `ledger_${Date.now()}` }).asPromise();
    models = await createModels(conn, logger);
    await ensureStream(nc, 'BILLING', ['billing.>']);
    outbox = new Outbox(conn, 'billing_outbox', nc.jetstream(), logger);
    await outbox.init();
  });

  afterAll(async () => {
    await outbox?.stop();
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    await nc?.close();
    await natsChild?.stop(5000);
    await ferret?.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  const key = () => `stripe:evt_ledger_${Date.now()}_${++n}`;
  const ledger = (opts: { leaseMs?: number; begin?: () => ReturnType<UserStates['begin']> } = {}) =>
    new EventLedger(models, outbox, logger, { retentionDays: 35, ...opts });
  function item(eventKey: string, effect: () => Promise<EffectResult>, partition = eventKey): LedgerItem & { runs: () => number } {
    let runs = 0;
    return {
      eventKey,
      provider: 'stripe',
      type: 'customer.subscription.updated',
      payload: '{}',
      partition,
      effect: async () => {
        runs++;
        return effect();
      },
      runs: () => runs,
    };
  }
  const applied = async (): Promise<EffectResult> => ({ outcome: 'applied', userId: 'u1' });

  it('applies a new event once; a repeat, later or in the same batch, answers DUPLICATE without running it', async () => {
    const k = key();
    const a = item(k, applied);
    const [first] = await ledger().applyBatch([a]);
    expect(first).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'applied', eventKey: k }) });
    const b = item(k, applied);
    const c = item(k, applied);
    const again = await ledger().applyBatch([b, c]);
    expect(again.map((r) => r.ok && r.result.outcome)).toEqual(['duplicate', 'duplicate']);
    expect([a.runs(), b.runs(), c.runs()]).toEqual([1, 0, 0]);
    expect(await models.Ledger.countDocuments({ _id: k })).toBe(1);
  });

  it('hands a failed event back: the next delivery runs it again at once', async () => {
    const k = key();
    const failing = item(k, async () => {
      throw new Error('boom');
    });
    const [r] = await ledger().applyBatch([failing]);
    expect(r!.ok).toBe(false);
    const retry = item(k, applied);
    const [again] = await ledger().applyBatch([retry]);
    expect(again).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'applied' }) });
    expect(retry.runs()).toBe(1);
  });

  it('leaves an event being applied to its holder, and takes it over once the lease ran out', async () => {
    const k = key();
    // A holder that claimed the event and died: its claim stays, with no outcome.
    await models.Claim.create({ _id: k, leaseUntil: new Date(Date.now() + 60_000), claimedAt: new Date() });
    const early = item(k, applied);
    const [busy] = await ledger().applyBatch([early]);
    expect(busy).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'duplicate', inProgress: true }) });
    expect(early.runs()).toBe(0);
    await models.Claim.updateOne({ _id: k }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
    const late = item(k, applied);
    const [taken] = await ledger().applyBatch([late]);
    expect(taken).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'applied' }) });
    expect(late.runs()).toBe(1);
  });

  it('tries an UNMATCHED event again when it is replayed, and records what it finds', async () => {
    const k = key();
    const first = item(k, async () => ({ outcome: 'unmatched', detail: 'no user', matchKeys: ['stripe_customer:cus_x'] }));
    await ledger().applyBatch([first]);
    expect(await models.Unmatched.countDocuments({ _id: k })).toBe(1);
    const replay = item(k, applied);
    const [r] = await ledger().applyBatch([replay]);
    expect(r).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'applied' }) });
    expect((await models.Ledger.findById(k).lean())?.outcome).toBe('applied');
    expect(await models.Unmatched.countDocuments({ _id: k })).toBe(0);
  });

  it('still knows events recorded before claims were kept (backfill)', async () => {
    const k = key();
    await models.Ledger.create({ _id: k, provider: 'stripe', type: 'x', state: 'done', outcome: 'applied', receivedAt: new Date() });
    await conn.collection('billing_migrations').deleteMany({});
    await backfillClaims(conn, models, logger);
    const repeat = item(k, applied);
    const [r] = await ledger().applyBatch([repeat]);
    expect(r).toEqual({ ok: true, result: expect.objectContaining({ outcome: 'duplicate' }) });
    expect(repeat.runs()).toBe(0);
  });

  describe('user state', () => {
    const plans = PlanCatalog.fromFile(PLANS);
    const change = (userId: string, eventId: string, at: number, status: string): StateChange => ({
      userId,
      at: new Date(at * 1000),
      rank: 1,
      eventId,
      cause: 'customer.subscription.updated',
      fields: { plan: 'pro', status, provider: 'stripe', providerSubscriptionId: 'sub_1' },
    });
    const newUser = async () => (await models.User.create({ email: `u${Date.now()}_${++n}@example.com` }))._id;

    it('decides every event of a batch against its own changes and writes the user once', async () => {
      const states = new UserStates(models, logger);
      const subs = new Subscriptions(models, plans, states);
      const userId = await newUser();
      const keys = [key(), key(), key()];
      const items = [
        item(keys[0]!, async () => ({ outcome: 'applied', userId, events: (await subs.applyState(change(userId, keys[0]!, 1000, 'active'))).events })),
        item(keys[1]!, async () => ({ outcome: 'applied', userId, events: (await subs.applyState(change(userId, keys[1]!, 3000, 'past_due'))).events })),
        // Older than the one before it: STALE, and no event.
        item(keys[2]!, async () => {
          const s = await subs.applyState(change(userId, keys[2]!, 2000, 'canceled'));
          return { outcome: s.result === 'applied' ? 'applied' : 'stale', userId, events: s.events };
        }),
      ];
      items.forEach((i) => (i.partition = userId));
      const published: string[] = [];
      const sub = nc.subscribe('billing.>', { callback: (_err, m) => published.push(m.headers?.get('Nats-Msg-Id') ?? '') });
      const results = await ledger({ begin: () => states.begin() }).applyBatch(items, { durableInput: true });
      await nc.flush();
      await new Promise((r) => setTimeout(r, 100));
      sub.unsubscribe();
      expect(results.map((r) => r.ok && r.result.outcome)).toEqual(['applied', 'applied', 'stale']);
      expect(published.filter((id) => keys.includes(id))).toEqual([keys[0], keys[1]]);
      const stored = await models.User.findById(userId).lean();
      expect(stored?.subscription).toEqual(expect.objectContaining({ status: 'past_due', setBy: keys[1], plan: 'pro' }));
      expect(await models.UserLock.countDocuments({ _id: userId })).toBe(0);
    });

    it('records APPLIED, not STALE, for an event whose change was written by an attempt that died before recording it, even after a newer one', async () => {
      const states = new UserStates(models, logger);
      const subs = new Subscriptions(models, plans, states);
      const viaLedger = (eventKey: string, at: number, status: string) => {
        const i = item(eventKey, async () => {
          const s = await subs.applyState(change(userId, eventKey, at, status));
          return { outcome: s.result === 'applied' ? 'applied' : 'stale', userId, events: s.events };
        });
        i.partition = userId;
        return ledger({ begin: () => states.begin() }).applyBatch([i], { durableInput: true });
      };
      const userId = await newUser();
      const [first, newer, older] = [key(), key(), key()];
      // The first attempt wrote its change and died: no ledger entry, no outcome.
      expect((await subs.applyState(change(userId, first, 1000, 'active'))).result).toBe('applied');
      // A newer event is applied meanwhile.
      expect((await viaLedger(newer, 3000, 'past_due')).map((r) => r.ok && r.result.outcome)).toEqual(['applied']);
      // The first one, delivered again, is recognised as applied; the newer state stays.
      expect((await viaLedger(first, 1000, 'active')).map((r) => r.ok && r.result.outcome)).toEqual(['applied']);
      // A truly older event that was never applied is still STALE.
      expect((await viaLedger(older, 2000, 'canceled')).map((r) => r.ok && r.result.outcome)).toEqual(['stale']);
      const stored = await models.User.findById(userId).lean();
      expect(stored?.subscription).toEqual(expect.objectContaining({ status: 'past_due', setBy: newer }));
      expect(stored?.subscription.recentEvents).toEqual([first, newer]);
    });

    it('keeps a second writer out while a batch holds the user, and lets it in after', async () => {
      const states = new UserStates(models, logger, { leaseMs: 30_000, waitMs: 200 });
      const userId = await newUser();
      const a = states.begin();
      await a.run(() => a.user(userId));
      const b = states.begin();
      await expect(b.run(() => b.user(userId))).rejects.toBeInstanceOf(UserBusyError);
      await b.release();
      await a.release();
      const c = states.begin();
      await expect(c.run(() => c.user(userId))).resolves.toEqual(expect.objectContaining({ doc: expect.objectContaining({ _id: userId }) }));
      await c.release();
    });

    it('takes over the lock of a holder that died', async () => {
      const userId = await newUser();
      const dead = new UserStates(models, logger, { leaseMs: 50, waitMs: 100 }).begin();
      await dead.run(() => dead.user(userId));
      // Never released; after the lease another batch gets the user.
      await new Promise((r) => setTimeout(r, 80));
      const next = new UserStates(models, logger, { leaseMs: 30_000, waitMs: 100 }).begin();
      await expect(next.run(() => next.user(userId))).resolves.toEqual(expect.objectContaining({ doc: expect.anything() }));
      await next.release();
      await dead.release();
      expect(await models.UserLock.countDocuments({ _id: userId })).toBe(0);
    });
  });
});
