import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureNats, freePort, startFerretDB, type Child, type LineSink } from '@tbot/local-stack';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { billingClient } from './support/clients';
import { nextId } from './support/stripe-events';
import {
  loadUser,
  readStream,
  sleep,
  startStripeLoad,
  tally,
  waitForDrain,
  type LoadResult,
  type LoadUser,
} from './support/webhook-load';

// Faults under load. Concurrent senders post unique signed subscription events as fast as
// the gateway answers (up to FAULT_RATE a second in all) and keep every event it answered
// 200 to; a 503 is resent after a pause,
// as a provider does. After each fault: every accepted event is applied exactly once
// (one `done` ledger entry each, one BILLING message per applied state change), none is
// lost, and the gateway refused (503) only while NATS itself was down.
//
// The test owns the stores: a FerretDB it started (so it can stop it and start it again
// on the same port and data) and a NATS on a free port (file storage under the stack's
// data dir, restarted on the same dir).

jest.setTimeout(270_000);

const SENDERS = Number(process.env.FAULT_SENDERS ?? 6);
const USERS = Number(process.env.FAULT_USERS ?? 6);
/**
 * Most new events per second over all senders (0: unlimited). Billing on FerretDB's SQLite
 * backend applies a few dozen events a second on a small shared machine; an unbounded
 * load leaves a backlog of thousands that takes minutes to drain.
 */
const RATE = Number(process.env.FAULT_RATE ?? 30);
/** How long billing may take to apply the backlog once the load stops. */
const DRAIN_MS = Number(process.env.FAULT_DRAIN_MS ?? 150_000);
/** FerretDB on PostgreSQL instead of SQLite (as the stack: FERRETDB_POSTGRESQL_URL). */
const PG_URL = process.env.FERRETDB_POSTGRESQL_URL || undefined;
/** After NATS is back, the gateway's client needs a moment to reconnect (1 s wait + jitter). */
const RECONNECT_GRACE_MS = 5_000;

const log = (line: string) => process.stderr.write(`[webhook-faults] ${line}\n`);

describe('webhook intake and billing under faults, with load', () => {
  let h: BillingHarness;
  let db: mongoose.Connection;
  let natsUrl: string;
  let ferretDir: string;
  let ferretPort: number;
  let users: LoadUser[];
  const storeLogs: string[] = [];
  const sink: LineSink = (name, line) => {
    storeLogs.push(`${name} | ${line}`);
    if (process.env.SHOW_STACK_LOGS) process.stderr.write(`${name} | ${line}\n`);
  };

  const database = `faults_${Date.now()}`;
  const startFerret = () => startFerretDB({ dataDir: ferretDir, port: ferretPort, postgresqlUrl: PG_URL, database, sink });

  beforeAll(async () => {
    ferretDir = mkdtempSync(path.join(tmpdir(), 'tbot-faults-ferret-'));
    ferretPort = await freePort();
    const ferret = await startFerret();
    natsUrl = `nats://127.0.0.1:${await freePort()}`;
    h = await startBillingHarness({
      env: {
        NATS_URL: natsUrl,
        MONGODB_URI: ferret.uri,
        LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
        // One loopback client sends everything: the per-IP limit is not under test.
        IP_RATE_LIMIT_PER_MINUTE: '100000000',
      },
      serviceEnv: {
        billing: {
          WEBHOOK_ACK_WAIT_MS: '5000',
          OUTBOX_RELAY_INTERVAL_MS: '1000',
          // Billing's defaults (batches of 200, 32 customers at once); FAULT_BATCH_SIZE and
          // FAULT_APPLY_CONCURRENCY override them to explore.
          ...(process.env.FAULT_BATCH_SIZE ? { WEBHOOK_BATCH_SIZE: process.env.FAULT_BATCH_SIZE } : {}),
          ...(process.env.FAULT_APPLY_CONCURRENCY ? { WEBHOOK_APPLY_CONCURRENCY: process.env.FAULT_APPLY_CONCURRENCY } : {}),
        },
      },
    });
    // The stack stops it after the services (and whatever replaces it in the FerretDB test).
    h.stack.children.set('ferretdb', ferret.child);
    expect(h.stack.children.has('nats')).toBe(true);
    db = await mongoose.createConnection(ferret.uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const billing = billingClient(h.stack);
    users = [];
    for (let i = 0; i < USERS; i++) users.push(loadUser((await billing.createUser({ email: `${nextId('f')}@example.com` })).id));
  });

  afterAll(async () => {
    await db?.close().catch(() => undefined);
    await h?.stop();
    await h?.stack.children.get('ferretdb')?.stop();
    if (ferretDir) rmSync(ferretDir, { recursive: true, force: true });
  });

  async function underLoad(fault: () => Promise<void>, opts: { beforeMs: number; afterMs: number }): Promise<LoadResult> {
    const load = startStripeLoad({
      gatewayUrl: h.stack.gatewayUrl,
      users,
      senders: SENDERS,
      resendPauseMs: 250,
      maxPerSecond: RATE || undefined,
    });
    const progress = setInterval(() => log(`load: ${JSON.stringify(load.stats)}`), 5000);
    try {
      await sleep(opts.beforeMs);
      await fault();
      await sleep(opts.afterMs);
    } finally {
      clearInterval(progress);
    }
    return load.stop();
  }

  const logLinesAbout = (keys: string[], max = 20) =>
    [...h.logs, ...storeLogs].filter((l) => keys.some((k) => l.includes(k))).slice(0, max).map((l) => l.slice(0, 500));
  const problemLines = (max = 40) =>
    [...h.logs, ...storeLogs]
      .filter((l) => !l.startsWith('trading') && /"level":(40|50|60)|error|took over|not applied/i.test(l))
      .slice(-max)
      .map((l) => l.slice(0, 500));

  /**
   * Waits for billing to apply everything accepted, then checks: each accepted event has
   * exactly one `done` ledger entry, and BILLING holds exactly one message (Nats-Msg-Id =
   * ledger key) per event whose outcome is `applied`, none for the others.
   */
  async function expectAppliedExactlyOnce(label: string, r: LoadResult): Promise<void> {
    const keys = r.accepted;
    log(
      `${label}: accepted ${keys.length} (${r.duplicates} as duplicate), 503s ${r.unavailable.length}, unexpected ${r.unexpected.length}, ` +
        `abandoned ${r.abandoned.length}, over ${((r.stoppedAt - r.startedAt) / 1000).toFixed(1)} s`,
    );
    expect(keys.length).toBeGreaterThan(50);
    expect(new Set(keys).size).toBe(keys.length); // every event id is unique

    const drain = await waitForDrain(db, keys, DRAIN_MS, (line) => log(`${label}: ${line}`));
    log(`${label}: ledger after ${(drain.waitedMs / 1000).toFixed(1)} s: ${JSON.stringify(drain.byState)}`);
    if (!drain.drained) {
      const sample = drain.pending.slice(0, 5);
      const inStream = new Set((await readStream(natsUrl, 'WEBHOOKS')).map((m) => m.eventKey));
      const missingFromStream = drain.pending.filter((k) => !inStream.has(k));
      const detail = [
        `${label}: ${drain.pending.length} of ${keys.length} accepted events not applied after ${DRAIN_MS} ms`,
        `ledger states of the accepted events: ${JSON.stringify(drain.byState)}`,
        `not applied and not in the WEBHOOKS stream either (lost at intake): ${missingFromStream.length}`,
        `sample: ${JSON.stringify(sample.map((k) => drain.entries.get(k) ?? { _id: k, state: '(no entry)' }))}`,
        `log lines naming the sample:`,
        ...logLinesAbout(sample),
        `warnings/errors (last 40):`,
        ...problemLines(),
      ].join('\n');
      throw new Error(detail);
    }
    expect(drain.entries.size).toBe(keys.length); // _id is unique: one entry per key
    const outcomes = tally([...drain.entries.values()].map((e) => e.outcome ?? '(none)'));
    log(`${label}: outcomes ${JSON.stringify(outcomes)}`);
    expect(Object.keys(outcomes).filter((o) => !['applied', 'stale', 'ignored'].includes(o))).toEqual([]);
    const applied = new Set(keys.filter((k) => drain.entries.get(k)!.outcome === 'applied'));
    expect(applied.size).toBeGreaterThan(0);

    // The outbox publishes right after the ledger write, or its relay does (1 s here).
    const accepted = new Set(keys);
    const ours = async () => (await readStream(natsUrl, 'BILLING', true)).filter((m) => accepted.has(m.msgId));
    const deadline = Date.now() + 30_000;
    let published = await ours();
    while (new Set(published.map((m) => m.msgId)).size < applied.size && Date.now() < deadline) {
      await sleep(1000);
      published = await ours();
    }
    await sleep(2000); // room for a late (wrong) second publish
    published = await ours();
    const perId = tally(published.map((m) => m.msgId));
    const twice = Object.entries(perId).filter(([, n]) => n > 1);
    const notPublished = [...applied].filter((k) => !perId[k]);
    const publishedNotApplied = Object.keys(perId).filter((k) => !applied.has(k));
    log(
      `${label}: BILLING messages for these events ${published.length} (${JSON.stringify(tally(published.map((m) => m.subject)))}); ` +
        `twice ${twice.length}, applied but unpublished ${notPublished.length}, published but not applied ${publishedNotApplied.length}`,
    );
    if (publishedNotApplied.length > 0) {
      // A state change announced for an event the ledger says changed nothing: show how.
      const sample = publishedNotApplied.slice(0, 5);
      const docs = await db.collection('webhook_events').find({ _id: { $in: sample as never[] } }).toArray();
      log(
        [
          `${label}: published but not applied, ledger entries: ${JSON.stringify(docs)}`,
          `their BILLING messages: ${JSON.stringify(published.filter((m) => sample.includes(m.msgId)))}`,
          'log lines naming them:',
          ...logLinesAbout(sample),
        ].join('\n'),
      );
    }
    expect(twice).toEqual([]);
    expect(notPublished.slice(0, 10)).toEqual([]);
    expect(publishedNotApplied.slice(0, 10).map((k) => [k, drain.entries.get(k)?.outcome])).toEqual([]);
    expect(published.length).toBe(applied.size);
  }

  /** 503s answered outside [from, to] (ms since epoch); every 503 when no window is given. */
  const refusedOutside = (r: LoadResult, window?: { from: number; to: number }) =>
    r.unavailable.filter((at) => !window || at < window.from || at > window.to).map((at) => new Date(at).toISOString());

  it('billing SIGKILLed mid-load and restarted: every accepted event applied once, no 503', async () => {
    let claimsAtKill = -1;
    let orphaned: string[] = [];
    const r = await underLoad(
      async () => {
        // Kill it in the middle of a batch: while ledger claims are `processing` (the
        // effects run between the claim and the `done` write), so a crash leaves claims behind.
        const ledger = db.collection('webhook_events');
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          claimsAtKill = await ledger.countDocuments({ state: 'processing' }, { maxTimeMS: 2000 }).catch(() => -1);
          if (claimsAtKill > 0) break;
        }
        const billing = h.stack.children.get('billing')!;
        billing.proc.kill('SIGKILL');
        await billing.exited;
        const left = await ledger.find({ state: 'processing' }, { projection: { _id: 1 }, maxTimeMS: 5000 }).toArray().catch(() => []);
        orphaned = left.map((d) => String(d._id));
        log(`billing SIGKILLed (${claimsAtKill} ledger claims in progress just before; ${orphaned.length} left behind: ${orphaned.slice(0, 5).join(', ')})`);
        await sleep(2000);
        await h.stack.startService('billing');
        log('billing restarted');
      },
      { beforeMs: 4000, afterMs: 8000 },
    );
    expect(r.unexpected).toEqual([]);
    expect(r.abandoned).toEqual([]);
    expect(refusedOutside(r)).toEqual([]); // intake needs only JetStream
    await expectAppliedExactlyOnce('billing kill', r);
    if (orphaned.length === 0) log('billing kill: no claim was left behind by the kill (it landed between batches)');
  });

  it('FerretDB stopped for 20 s and restarted on the same port and data: every accepted event applied once, no 503', async () => {
    const r = await underLoad(
      async () => {
        const code = await h.stack.children.get('ferretdb')!.stop();
        log(`FerretDB stopped (exit ${code})`);
        await sleep(20_000);
        const ferret = await startFerret();
        h.stack.children.set('ferretdb', ferret.child);
        log('FerretDB restarted');
      },
      { beforeMs: 3000, afterMs: 5000 },
    );
    expect(r.unexpected).toEqual([]);
    expect(r.abandoned).toEqual([]);
    expect(refusedOutside(r)).toEqual([]);
    await expectAppliedExactlyOnce('FerretDB stop', r);
  });

  it('NATS restarted on the same data dir: 503 only while it is down, every accepted event applied once', async () => {
    let down = 0;
    let back = 0;
    const r = await underLoad(
      async () => {
        down = Date.now();
        const code = await h.stack.children.get('nats')!.stop();
        log(`NATS stopped (exit ${code})`);
        await sleep(5000);
        const nats: Child | undefined = await ensureNats(natsUrl, path.join(h.stack.dataDir, 'nats'), sink);
        expect(nats).toBeDefined(); // nothing else answered on our port
        h.stack.children.set('nats', nats!);
        back = Date.now();
        log('NATS restarted');
      },
      { beforeMs: 3000, afterMs: 6000 },
    );
    expect(r.unexpected).toEqual([]);
    expect(r.abandoned).toEqual([]);
    expect(r.unavailable.length).toBeGreaterThan(0); // the outage was seen
    expect(refusedOutside(r, { from: down, to: back + RECONNECT_GRACE_MS })).toEqual([]);
    await expectAppliedExactlyOnce('NATS restart', r);
  });
});
