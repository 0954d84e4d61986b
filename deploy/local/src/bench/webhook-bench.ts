/**
 * `npm run bench`: signed Stripe webhooks against the project (gateway → JetStream →
 * billing → FerretDB) and, in the same run and on the same FerretDB, against a naive
 * reference handler (naive-handler.ts: Express + constructEvent + mongoose, work done
 * before the 200). Prints every measure as a ratio to that reference:
 *
 *  - accepted webhooks/s and p50/p99 accept latency at BENCH_CONNECTIONS keep-alive connections;
 *  - applied events/s: first publish until billing's durable consumer has acked every
 *    event (read from JetStream), against the naive handler's rate (which applies as it answers);
 *  - the same again with the ledger pre-filled (BENCH_LEDGER_FILL entries): cost stays flat;
 *  - peak resident memory of the gateway and billing under load;
 *  - correctness: every accepted event has exactly one ledger entry, applied once.
 *
 * Runs on FerretDB's SQLite backend, then on its PostgreSQL backend when 127.0.0.1:5432
 * answers; one harness (with a NATS of its own) per backend.
 *
 * Environment: BENCH_EVENTS (default 4000), BENCH_WARMUP (300), BENCH_CONNECTIONS (32),
 * BENCH_USERS (100), BENCH_LEDGER_FILL (100000), BENCH_BACKENDS (sqlite,postgresql),
 * BENCH_POSTGRESQL_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_WEBHOOK_BATCH_SIZE (billing's WEBHOOK_BATCH_SIZE; unset: billing's default),
 * BENCH_STALL_SECONDS (60: billing making no progress that long is reported as stalled).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { WEBHOOK_CONSUMER, WEBHOOK_STREAM } from '@tbot/common';
import mongoose from 'mongoose';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { spawnChild, type Child } from '../child';
import { canConnect, freePort, waitFor } from '../tools';
import { signStripe, stackBillingClient, startBillingHarness, TEST_SECRETS, type BillingHarness } from '../testing';
import { percentile, report, rssMb, runBench, type Row } from './report';

const TARGETS = {
  acceptedVsNaive: 3,
  p99Ms: 50,
  appliedVsNaive: 1,
  fullVsEmpty: 0.8,
  rssMb: 256,
};

const EVENTS = Number(process.env.BENCH_EVENTS ?? 4000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const USERS = Number(process.env.BENCH_USERS ?? 100);
const LEDGER_FILL = Number(process.env.BENCH_LEDGER_FILL ?? 100_000);
const FILL_CHUNK = 1000;
const REQUEST_TIMEOUT_MS = 30_000;
const STALL_MS = Number(process.env.BENCH_STALL_SECONDS ?? 60) * 1000;
const BATCH_SIZE = process.env.BENCH_WEBHOOK_BATCH_SIZE;
const NAIVE_SCRIPT = path.join(__dirname, 'naive-handler.js');
/** Every run's event ids start with this, so its ledger entries are found by _id. */
const RUN = `b${Date.now().toString(36)}`;

// ---------------------------------------------------------------------------------------
// Load generation: pre-signed bodies over keep-alive connections.

interface Load {
  seconds: number;
  /** Accept latencies, sorted. */
  latencies: number[];
  statuses: Map<string, number>;
  /** Requests answered 200 as a new event (not a duplicate). */
  accepted: number;
}

function post(agent: http.Agent, url: URL, body: string, signature: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'stripe-signature': signature },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ status: 0, text: err.message }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, text: err.message }));
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

async function runLoad(agent: http.Agent, target: string, bodies: string[]): Promise<Load> {
  const url = new URL(target);
  const timestamp = Math.floor(Date.now() / 1000);
  const signatures = bodies.map((b) => signStripe(b, timestamp));
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let accepted = 0;
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const t0 = performance.now();
        const res = await post(agent, url, bodies[i]!, signatures[i]!);
        latencies.push(performance.now() - t0);
        statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
        if (res.status === 200) {
          const json = JSON.parse(res.text) as { duplicate?: boolean };
          if (!json.duplicate) accepted++;
        }
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, latencies, statuses, accepted };
}

// ---------------------------------------------------------------------------------------
// Where the CPU goes: per-process CPU time from /proc, and the machine's busy share.

function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU time of every `postgres` process on the machine (FerretDB's backend; others' too). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

interface Sample {
  peakRss: Record<string, number>;
  /** CPU use over the sampled span, % of one core. */
  cpu: Record<string, number>;
  machineBusy: number;
}

/** Samples peak RSS of `rssOf` every 200 ms, and CPU use of `pids` between start and stop. */
function startSampler(pids: Record<string, number | undefined>, rssOf: string[]) {
  const began = performance.now();
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
  const pg0 = postgresCpuSeconds();
  const m0 = machineTicks();
  const peakRss: Record<string, number> = Object.fromEntries(rssOf.map((k) => [k, 0]));
  const sample = () => {
    for (const k of rssOf) {
      try {
        peakRss[k] = Math.max(peakRss[k]!, rssMb(pids[k]));
      } catch {
        peakRss[k] = NaN;
      }
    }
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    stop(): Sample {
      clearInterval(timer);
      sample();
      const wall = (performance.now() - began) / 1000;
      const cpu: Record<string, number> = {};
      for (const [k, pid] of Object.entries(pids)) cpu[k] = ((cpuSecondsOf(pid) - cpu0[k]!) / wall) * 100;
      cpu['postgres (all)'] = ((postgresCpuSeconds() - pg0) / wall) * 100;
      const m1 = machineTicks();
      return { peakRss, cpu, machineBusy: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100 };
    },
  };
}

const cpuLine = (s: Sample) =>
  `CPU (% of one core): ${Object.entries(s.cpu)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ')}; machine busy ${s.machineBusy.toFixed(0)}% of ${os.availableParallelism()} cores`;

/**
 * FerretDB's debug listener (its Prometheus metrics), found among the ports its process
 * listens on (the stack starts it with --debug-addr=127.0.0.1:0).
 */
function ferretDebugUrl(pid: number | undefined, mongoPort: number): string | undefined {
  if (!pid) return undefined;
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9] ?? '')) continue;
      const port = parseInt(f[1]!.split(':')[1]!, 16);
      if (port !== mongoPort) return `http://127.0.0.1:${port}/debug/metrics`;
    }
  } catch {
    // not Linux, or the process is gone
  }
  return undefined;
}

/** FerretDB commands served so far, by command. */
async function ferretCommands(url: string | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!url) return out;
  try {
    for (const line of (await (await fetch(url)).text()).split('\n')) {
      const m = /^ferretdb_client_requests_total\{command="([^"]+)"[^}]*\} (\S+)/.exec(line);
      if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
    }
  } catch {
    // no metrics: the line is left out
  }
  return out;
}

/**
 * Where FerretDB's goroutines wait (from its pprof endpoint), for a stall report: many
 * goroutines holding query rows or waiting for a pool connection is FerretDB deadlocked
 * on its own connection pool rather than slow.
 */
async function ferretGoroutines(metricsUrl: string | undefined): Promise<string> {
  if (!metricsUrl) return '';
  try {
    const text = await (await fetch(metricsUrl.replace('/debug/metrics', '/debug/pprof/goroutine?debug=1'))).text();
    const byPlace = new Map<string, number>();
    for (const block of text.split('\n\n')) {
      const n = Number(/^(\d+) @/m.exec(block)?.[1] ?? 0);
      // The innermost frame outside the Go runtime and poller says what it waits for.
      const frame = block
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.split(/\s+/)[2] ?? '')
        .find((f) => f && !/^(runtime|internal\/poll|sync|net\.|bufio|io\.)/.test(f));
      if (n > 0 && frame) byPlace.set(frame, (byPlace.get(frame) ?? 0) + n);
    }
    return [...byPlace]
      .filter(([, n]) => n >= 3)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([f, n]) => `${n}× ${f}`)
      .join(', ');
  } catch {
    return '';
  }
}

/** Commands per event between two snapshots, e.g. "update 1.20, insert 0.05". */
function perEvent(after: Map<string, number>, before: Map<string, number>, events: number): string {
  return [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / events] as const)
    .filter(([k, v]) => v >= 0.005 && k !== 'hello' && k !== 'ping')
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------
// Events.

function subscriptionUpdated(id: string, userId: string, created: number, i: number): string {
  return JSON.stringify({
    id,
    object: 'event',
    type: 'customer.subscription.updated',
    created,
    data: {
      object: {
        id: `sub_bench_${userId.slice(0, 8)}`,
        object: 'subscription',
        customer: `cus_bench_${userId.slice(0, 8)}`,
        status: i % 7 === 0 ? 'past_due' : 'active',
        cancel_at_period_end: false,
        metadata: { user_id: userId },
        items: { data: [{ price: { id: 'price_pro_monthly' }, current_period_start: created, current_period_end: created + 2_592_000 }] },
      },
    },
  });
}

/** Unique events, `created` increasing across the whole run so that none is stale by design. */
let clock = Math.floor(Date.now() / 1000) - 1_000_000;
function makeEvents(label: string, count: number, users: string[]): { ids: string[]; bodies: string[] } {
  const ids: string[] = [];
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `evt_${RUN}_${label}_${i}`;
    ids.push(id);
    bodies.push(subscriptionUpdated(id, users[i % users.length]!, ++clock, i));
  }
  return { ids, bodies };
}

// ---------------------------------------------------------------------------------------
// Billing's progress, read from JetStream and from its metrics.

async function lastSeq(jsm: JetStreamManager): Promise<number> {
  return (await jsm.streams.info(WEBHOOK_STREAM)).state.last_seq;
}

class Stalled extends Error {}

/**
 * performance.now() when billing's consumer has acked everything up to `seq`. Throws
 * Stalled when nothing was acked for STALL_MS (billing stuck) or after timeoutMs.
 */
async function drained(jsm: JetStreamManager, seq: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let best = { floor: -1, remaining: Infinity, at: Date.now() };
  for (;;) {
    const c = await jsm.consumers.info(WEBHOOK_STREAM, WEBHOOK_CONSUMER);
    const remaining = c.num_pending + c.num_ack_pending;
    if (remaining === 0 && c.ack_floor.stream_seq >= seq) return performance.now();
    if (c.ack_floor.stream_seq > best.floor || remaining < best.remaining) {
      best = { floor: Math.max(best.floor, c.ack_floor.stream_seq), remaining: Math.min(best.remaining, remaining), at: Date.now() };
    }
    const why = Date.now() - best.at > STALL_MS ? `nothing acked for ${STALL_MS / 1000} s` : Date.now() > deadline ? `not drained in ${timeoutMs / 1000} s` : '';
    if (why) {
      throw new Stalled(
        `billing stalled: ${why}; consumer ${WEBHOOK_CONSUMER}: ack floor ${c.ack_floor.stream_seq}/${seq}, ` +
          `${c.num_ack_pending} delivered and not acked, ${c.num_pending} not delivered, ${c.num_redelivered} redelivered`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Settles within ms or gives up (clean-up against a database that may be stuck). */
function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  return Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}

/** webhook_events_applied_total for Stripe, by outcome. */
async function appliedByOutcome(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('webhook_events_applied_total{') || !line.includes('provider="stripe"')) continue;
    const outcome = /outcome="([^"]*)"/.exec(line)?.[1] ?? '?';
    out.set(outcome, (out.get(outcome) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

function delta(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) !== 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

/** Documents among `ids` (by _id, in pages), by `field`. */
/**
 * How many of `ids` the collection holds (by state and `field` when given). One pass over
 * the whole collection, filtered here: FerretDB answers an `$in` on `_id` by decoding every
 * document for each page of ids, which takes minutes with 100,000 entries.
 */
async function countByIds(coll: mongoose.mongo.Collection, ids: string[], field?: string): Promise<Map<string, number>> {
  const wanted = new Set(ids);
  const out = new Map<string, number>();
  const cursor = coll.find({}, { projection: field ? { [field]: 1, state: 1 } : { _id: 1 }, batchSize: 10_000 });
  for await (const d of cursor) {
    if (!wanted.has(String(d._id))) continue;
    const key = field ? `${String(d.state)}:${String(d[field])}` : 'found';
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// One backend.

interface RoundResult {
  ledgerEntries: number;
  naive: Load;
  naiveRssMb: number;
  naiveCpu: Sample;
  naiveStored: number;
  gateway: Load;
  applied: { seconds: number; perSecond: number };
  gatewayCpu: Sample;
  /** CPU while the gateway was accepting (billing applying alongside). */
  acceptCpu: Sample;
  /** FerretDB commands per event: naive phase, project phase (accept until drained). */
  naiveCommands: string;
  projectCommands: string;
  ledger: Map<string, number>;
  appliedDelta: Record<string, number>;
  /** Billing stopped applying before the backlog was drained. */
  stalled?: string;
}

interface BackendResult {
  backend: string;
  rounds: RoundResult[];
  fillSeconds: number;
  /** Why the run of this backend stopped early (billing stalled), if it did. */
  stalled?: string;
}

const perSecond = (l: Load) => l.accepted / l.seconds;

async function runBackend(backend: string, env: NodeJS.ProcessEnv): Promise<BackendResult> {
  process.stdout.write(`\n== FerretDB backend: ${backend} ==\n`);
  const h: BillingHarness = await startBillingHarness({
    env: {
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      // One client address sends everything here; the per-IP limit is not what is measured.
      IP_RATE_LIMIT_PER_MINUTE: '100000000',
      // A NATS of our own, away from the one other test runs may use on 4222.
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      ...env,
    },
    serviceEnv: BATCH_SIZE ? { billing: { WEBHOOK_BATCH_SIZE: BATCH_SIZE } } : undefined,
  });
  let naive: Child | undefined;
  let nc: NatsConnection | undefined;
  const conn = mongoose.createConnection(h.stack.mongoUri);
  const naiveDbName = `naive_${RUN}`;
  const naiveDb = conn.useDb(naiveDbName, { useCache: true });
  const gatewayAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const naiveAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    await conn.asPromise();
    nc = await connect({ servers: h.stack.natsUrl, name: 'webhook-bench' });
    const jsm = await nc.jetstreamManager();
    const billing = stackBillingClient(h.stack);
    const users: string[] = [];
    for (let i = 0; i < USERS; i++) users.push((await billing.createUser({ email: `bench-${RUN}-${i}@example.com` })).id);
    await naiveDb.collection('users').insertMany(
      users.map((id, i) => ({ _id: id, email: `bench-${RUN}-${i}@example.com`, subscription: { plan: 'free', status: 'none' } })) as never[],
    );

    const naivePort = await freePort();
    const naiveUrl = `http://127.0.0.1:${naivePort}`;
    const mongoUri = new URL(h.stack.mongoUri);
    mongoUri.pathname = `/${naiveDbName}`;
    naive = spawnChild('naive', process.execPath, [NAIVE_SCRIPT], {
      env: { ...process.env, PORT: String(naivePort), MONGODB_URI: mongoUri.toString(), STRIPE_WEBHOOK_SECRET: TEST_SECRETS.stripeWebhookSecrets[0] },
      sink: (name, line) => process.stderr.write(`${name} | ${line}\n`),
    });
    await waitFor('the naive handler to listen', async () => {
      if (naive!.proc.exitCode !== null) throw new Error('the naive handler exited during start-up');
      return (await canConnect('127.0.0.1', naivePort)) && ((await (await fetch(`${naiveUrl}/healthz`)).json()) as { ok: boolean }).ok;
    });

    const ledger = conn.collection('webhook_events');
    const claims = conn.collection('webhook_claims');
    const processed = naiveDb.collection('processed_events');
    const ferretUrl = ferretDebugUrl(h.stack.children.get('ferretdb')?.proc.pid, Number(new URL(h.stack.mongoUri).port));
    const pids = {
      gateway: h.stack.children.get('gateway')?.proc.pid,
      billing: h.stack.children.get('billing')?.proc.pid,
      ferretdb: h.stack.children.get('ferretdb')?.proc.pid,
      nats: h.stack.children.get('nats')?.proc.pid,
      naive: naive.proc.pid,
      'load generator': process.pid,
    };

    const rounds: RoundResult[] = [];
    let fillSeconds = 0;
    const measure = async (round: 'empty' | 'full'): Promise<RoundResult> => {
      const ledgerEntries = await ledger.countDocuments();

      // Naive reference: warm up, then measure. Its 200 comes after the work.
      const naiveWarm = makeEvents(`${round}_nw`, WARMUP, users);
      await runLoad(naiveAgent, `${naiveUrl}/webhook`, naiveWarm.bodies);
      const naiveEvents = makeEvents(`${round}_n`, EVENTS, users);
      const naiveSampler = startSampler(pids, ['naive']);
      const naiveFerret0 = await ferretCommands(ferretUrl);
      const naiveLoad = await runLoad(naiveAgent, `${naiveUrl}/webhook`, naiveEvents.bodies);
      const naiveCpu = naiveSampler.stop();
      const naiveCommands = perEvent(await ferretCommands(ferretUrl), naiveFerret0, EVENTS);
      const naiveStored = (await countByIds(processed, naiveEvents.ids)).get('found') ?? 0;

      // The project: warm up and let billing drain, then measure accept and apply. When
      // billing stalls, accepting is still measured (JetStream takes the events regardless).
      const warm = makeEvents(`${round}_gw`, WARMUP, users);
      await runLoad(gatewayAgent, `${h.stack.gatewayUrl}/api/payments/stripe/webhook`, warm.bodies);
      let stalled: string | undefined;
      try {
        await drained(jsm, await lastSeq(jsm), 600_000);
      } catch (err) {
        if (!(err instanceof Stalled)) throw err;
        stalled = `in the warm-up: ${err.message}; FerretDB goroutines: ${(await ferretGoroutines(ferretUrl)) || '?'}`;
      }
      const before = await appliedByOutcome(h.stack.billingMetricsUrl);
      const events = makeEvents(`${round}_g`, EVENTS, users);
      const ferret0 = await ferretCommands(ferretUrl);
      const sampler = startSampler(pids, ['gateway', 'billing']);
      const acceptSampler = startSampler(pids, []);
      const began = performance.now();
      const gatewayLoad = await runLoad(gatewayAgent, `${h.stack.gatewayUrl}/api/payments/stripe/webhook`, events.bodies);
      const acceptCpu = acceptSampler.stop();
      let doneAt = NaN;
      try {
        if (!stalled) doneAt = await drained(jsm, await lastSeq(jsm), Math.max(600_000, EVENTS * 200));
      } catch (err) {
        if (!(err instanceof Stalled)) throw err;
        stalled = `${err.message}; FerretDB goroutines: ${(await ferretGoroutines(ferretUrl)) || '?'}`;
      }
      const gatewayCpu = sampler.stop();
      const projectCommands = perEvent(await ferretCommands(ferretUrl), ferret0, EVENTS);
      const appliedSeconds = (doneAt - began) / 1000;
      const appliedDelta = delta(await appliedByOutcome(h.stack.billingMetricsUrl), before);
      // After a stall the database may not answer at all.
      const ledgerOutcomes =
        (await within(30_000, countByIds(ledger, events.ids.map((id) => `stripe:${id}`), 'outcome'))) ?? new Map([['no answer from the database', 0]]);

      const r: RoundResult = {
        ledgerEntries,
        naive: naiveLoad,
        naiveRssMb: naiveCpu.peakRss.naive ?? NaN,
        naiveCpu,
        naiveStored,
        gateway: gatewayLoad,
        applied: { seconds: appliedSeconds, perSecond: EVENTS / appliedSeconds },
        gatewayCpu,
        acceptCpu,
        naiveCommands,
        projectCommands,
        ledger: ledgerOutcomes,
        appliedDelta,
        stalled,
      };
      process.stdout.write(
        `[${backend}, ${round} ledger (${ledgerEntries} entries)] naive ${perSecond(naiveLoad).toFixed(0)}/s p99 ${percentile(naiveLoad.latencies, 99).toFixed(1)} ms; ` +
          `gateway ${perSecond(gatewayLoad).toFixed(0)}/s p99 ${percentile(gatewayLoad.latencies, 99).toFixed(1)} ms; applied ${r.applied.perSecond.toFixed(0)}/s\n` +
          `  naive phase      ${cpuLine(naiveCpu)}\n  project accept   ${cpuLine(acceptCpu)}\n  project drained  ${cpuLine(gatewayCpu)}\n` +
          (stalled ? `  ${stalled}\n` : ''),
      );
      return r;
    };
    {
      for (const round of ['empty', 'full'] as const) {
        if (round === 'full') {
          const t0 = performance.now();
          await fill(ledger, claims, processed, users);
          fillSeconds = (performance.now() - t0) / 1000;
          process.stdout.write(`pre-filled ${LEDGER_FILL} ledger entries (and as many naive idempotency keys) in ${fillSeconds.toFixed(0)} s\n`);
        }
        const r = await measure(round);
        rounds.push(r);
        // A stalled billing (or the database under it) does not recover by itself.
        if (r.stalled) return { backend, rounds, fillSeconds, stalled: r.stalled };
      }
    }
    return { backend, rounds, fillSeconds };
  } finally {
    gatewayAgent.destroy();
    naiveAgent.destroy();
    await naive?.stop(5000);
    await nc?.close().catch(() => undefined);
    // Leave nothing behind in a shared PostgreSQL: services stop first so nothing writes
    // meanwhile. A database stuck by a stalled run may not answer: give up after a while.
    await h.stack.children.get('gateway')?.stop(5000);
    await h.stack.children.get('trading')?.stop(5000);
    await h.stack.children.get('billing')?.stop(5000);
    const dropped = await within(15_000, naiveDb.dropDatabase().then(() => conn.dropDatabase()));
    await within(5000, conn.close());
    await h.stop();
    if (dropped === undefined && env.FERRETDB_POSTGRESQL_URL) dropSchemas(env.FERRETDB_POSTGRESQL_URL, [naiveDbName, conn.name]);
  }
}

/**
 * FerretDB keeps each database in a PostgreSQL schema: when FerretDB no longer answered,
 * the bench's schemas are dropped with psql once it has stopped.
 */
function dropSchemas(url: string, schemas: string[]): void {
  const sql = schemas.map((s) => `DROP SCHEMA IF EXISTS "${s.replace(/"/g, '')}" CASCADE;`).join(' ');
  try {
    execFileSync('psql', [url, '-qc', sql], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    process.stdout.write(`could not drop the bench's PostgreSQL schemas ${schemas.join(', ')}: drop them by hand\n`);
  }
}

/** The ledger and its claims (and the naive handler's idempotency keys) pre-filled, shaped like real entries. */
async function fill(ledger: mongoose.mongo.Collection, claims: mongoose.mongo.Collection, processed: mongoose.mongo.Collection, users: string[]): Promise<void> {
  const day = 86_400_000;
  for (let i = 0; i < LEDGER_FILL; i += FILL_CHUNK) {
    const now = Date.now();
    const entries = [];
    const claimed = [];
    const keys = [];
    for (let j = i; j < Math.min(LEDGER_FILL, i + FILL_CHUNK); j++) {
      const at = new Date(now - (LEDGER_FILL - j) * 1000);
      entries.push({
        _id: `stripe:evt_fill_${j}`,
        provider: 'stripe',
        type: 'customer.subscription.updated',
        state: 'done',
        outcome: 'applied',
        userId: users[j % users.length],
        detail: null,
        receivedAt: at,
        finishedAt: at,
        expiresAt: new Date(at.getTime() + 35 * day),
      });
      claimed.push({ _id: `stripe:evt_fill_${j}`, leaseUntil: at, claimedAt: at, expiresAt: new Date(at.getTime() + 35 * day) });
      keys.push({ _id: `evt_fill_${j}`, type: 'customer.subscription.updated', at });
    }
    await ledger.insertMany(entries as never[], { ordered: false });
    await claims.insertMany(claimed as never[], { ordered: false });
    await processed.insertMany(keys as never[], { ordered: false });
  }
}

// ---------------------------------------------------------------------------------------
// Report.

const ratio = (a: number, b: number) => a / b;
const x = (v: number) => `${v.toFixed(2)}×`;
const ms = (l: Load, p: number) => percentile(l.latencies, p);

const roundLabel = (i: number) => (i === 0 ? 'empty ledger' : `ledger +${LEDGER_FILL / 1000}k`);
const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : 'stalled');

function rowsFor(r: BackendResult): Row[] {
  const rows: Row[] = [];
  const [empty, full] = r.rounds;
  if (!empty) rows.push(['measured', 'nothing', '', false]);
  r.rounds.forEach((round, i) => {
    const label = roundLabel(i);
    const naiveRate = perSecond(round.naive);
    const gwRate = perSecond(round.gateway);
    const strict = i === 0; // ratios to the naive handler are targets on the empty run, shown for the other
    const applied = round.applied.perSecond;
    rows.push(
      [`${label}: naive accepted=applied /s`, naiveRate.toFixed(0), '', true],
      [`${label}: naive p50 / p99 (ms)`, `${ms(round.naive, 50).toFixed(1)} / ${ms(round.naive, 99).toFixed(1)}`, '', true],
      [`${label}: gateway accepted /s`, gwRate.toFixed(0), '', true],
      [`${label}:   accepted vs naive`, x(ratio(gwRate, naiveRate)), strict ? `≥ ${TARGETS.acceptedVsNaive}×` : '', !strict || ratio(gwRate, naiveRate) >= TARGETS.acceptedVsNaive],
      [`${label}: gateway p50 (ms)`, ms(round.gateway, 50).toFixed(1), '', true],
      [`${label}: gateway p99 (ms)`, ms(round.gateway, 99).toFixed(1), `≤ ${TARGETS.p99Ms}`, ms(round.gateway, 99) <= TARGETS.p99Ms],
      [`${label}: applied /s (until drained)`, fmt(applied), '', Number.isFinite(applied)],
      [`${label}:   applied vs naive`, Number.isFinite(applied) ? x(ratio(applied, naiveRate)) : 'stalled', strict ? `≥ ${TARGETS.appliedVsNaive}×` : '', Number.isFinite(applied) && (!strict || ratio(applied, naiveRate) >= TARGETS.appliedVsNaive)],
    );
  });
  const big = `+${LEDGER_FILL / 1000}k vs empty`;
  if (empty && full) {
    const acc = ratio(perSecond(full.gateway), perSecond(empty.gateway));
    const app = ratio(full.applied.perSecond, empty.applied.perSecond);
    rows.push(
      [`${big}: accepted /s`, x(acc), `≥ ${TARGETS.fullVsEmpty}×`, acc >= TARGETS.fullVsEmpty],
      [`${big}: applied /s`, Number.isFinite(app) ? x(app) : 'stalled', `≥ ${TARGETS.fullVsEmpty}×`, app >= TARGETS.fullVsEmpty],
      [`${big}: naive /s`, x(ratio(perSecond(full.naive), perSecond(empty.naive))), '', true],
    );
  } else {
    rows.push([`${big}`, 'not measured', `≥ ${TARGETS.fullVsEmpty}×`, false]);
  }
  const peak = (k: string) => (r.rounds.length ? Math.max(...r.rounds.map((round) => round.gatewayCpu.peakRss[k] ?? NaN)) : NaN);
  rows.push(
    ['gateway peak RSS (MiB)', fmt(peak('gateway')), `≤ ${TARGETS.rssMb}`, peak('gateway') <= TARGETS.rssMb],
    ['billing peak RSS (MiB)', fmt(peak('billing')), `≤ ${TARGETS.rssMb}`, peak('billing') <= TARGETS.rssMb],
    ['naive handler peak RSS (MiB)', fmt(Math.max(...r.rounds.map((round) => round.naiveRssMb))), '', true],
  );
  r.rounds.forEach((round, i) => {
    const label = i === 0 ? 'empty' : 'full';
    const good = (round.ledger.get('done:applied') ?? 0) + (round.ledger.get('done:stale') ?? 0);
    const entries = [...round.ledger.values()].reduce((a, b) => a + b, 0);
    const acks = Object.entries(round.appliedDelta).filter(([k]) => k !== 'duplicate').reduce((a, [, v]) => a + v, 0);
    rows.push(
      [`${label}: gateway accepted`, `${round.gateway.accepted}/${EVENTS}`, `= ${EVENTS}`, round.gateway.accepted === EVENTS],
      [`${label}: ledger entries, done`, `${good}/${entries}`, `= ${EVENTS}`, good === EVENTS && entries === EVENTS],
      [`${label}: applied once (acks)`, String(acks), `= ${EVENTS}`, acks === EVENTS],
      [`${label}:   redeliveries (answered duplicate)`, String(round.appliedDelta.duplicate ?? 0), '', true],
      [`${label}: naive stored`, `${round.naiveStored}/${EVENTS}`, `= ${EVENTS}`, round.naiveStored === EVENTS && round.naive.accepted === EVENTS],
    );
  });
  return rows;
}

function extraFor(r: BackendResult): string {
  return r.rounds
    .map((round, i) => {
      const name = i === 0 ? 'empty' : 'full';
      return [
        `${name}: naive statuses ${JSON.stringify(Object.fromEntries(round.naive.statuses))}, gateway statuses ${JSON.stringify(Object.fromEntries(round.gateway.statuses))}`,
        `${name}: ledger ${JSON.stringify(Object.fromEntries(round.ledger))}, applied metric Δ ${JSON.stringify(round.appliedDelta)}, drained ${round.applied.seconds.toFixed(1)} s after the first publish (accepting took ${round.gateway.seconds.toFixed(1)} s)`,
        `${name}: naive phase     ${cpuLine(round.naiveCpu)}`,
        `${name}: project accept  ${cpuLine(round.acceptCpu)}`,
        `${name}: project drained ${cpuLine(round.gatewayCpu)}`,
        `${name}: FerretDB commands per event: naive ${round.naiveCommands || '?'}; project ${round.projectCommands || '?'}`,
      ].join('\n');
    })
    .concat(r.stalled ? [`STALLED: ${r.stalled}`] : [])
    .join('\n');
}

function machine(): string {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  let cores = String(os.availableParallelism());
  try {
    cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // keep Node's count
  }
  return `${cores} × ${model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`;
}

function markdown(results: BackendResult[]): string {
  const lines = [
    `Webhook benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine()}: ${EVENTS} unique signed \`customer.subscription.updated\` events, ${CONNECTIONS} keep-alive connections, load generator on the same machine. Naive = one Express process, \`constructEvent\` + idempotency insert + user update before the 200, on the same FerretDB.`,
    '',
    '| FerretDB backend | ledger | naive /s (p50 / p99 ms) | gateway accepted /s (× naive) | gateway p50 / p99 ms | applied /s (× naive) | vs empty (accepted / applied) | peak RSS gateway / billing MiB |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const [empty] = r.rounds;
    if (!empty) lines.push(`| ${r.backend} | empty | — | — | — | — | — | — |`);
    r.rounds.forEach((round, i) => {
      const naiveRate = perSecond(round.naive);
      const gw = perSecond(round.gateway);
      lines.push(
        `| ${r.backend} | ${i === 0 ? 'empty' : `+${LEDGER_FILL / 1000}k entries`} | ${naiveRate.toFixed(0)} (${ms(round.naive, 50).toFixed(0)} / ${ms(round.naive, 99).toFixed(0)}) | ${gw.toFixed(0)} (${x(gw / naiveRate)}) | ${ms(round.gateway, 50).toFixed(1)} / ${ms(round.gateway, 99).toFixed(1)} | ${Number.isFinite(round.applied.perSecond) ? `${round.applied.perSecond.toFixed(0)} (${x(round.applied.perSecond / naiveRate)})` : '**stalled**'} | ${i === 0 || !empty ? '—' : `${x(gw / perSecond(empty.gateway))} / ${Number.isFinite(round.applied.perSecond) ? x(round.applied.perSecond / empty.applied.perSecond) : 'stalled'}`} | ${round.gatewayCpu.peakRss.gateway!.toFixed(0)} / ${round.gatewayCpu.peakRss.billing!.toFixed(0)} |`,
      );
    });
  }
  lines.push(
    '',
    `Targets: accepted ≥ ${TARGETS.acceptedVsNaive}× naive, p99 accept ≤ ${TARGETS.p99Ms} ms, applied ≥ ${TARGETS.appliedVsNaive}× naive, with ${LEDGER_FILL / 1000}k ledger entries ≥ ${TARGETS.fullVsEmpty}× empty, RSS ≤ ${TARGETS.rssMb} MiB.`,
  );
  return lines.join('\n');
}

async function backends(): Promise<Array<{ name: string; env: NodeJS.ProcessEnv }>> {
  if (process.env.TEST_MONGODB_URI) return [{ name: 'external MongoDB (TEST_MONGODB_URI)', env: {} }];
  const wanted = (process.env.BENCH_BACKENDS ?? 'sqlite,postgresql').split(',').map((s) => s.trim());
  const list: Array<{ name: string; env: NodeJS.ProcessEnv }> = [];
  if (wanted.includes('sqlite')) list.push({ name: 'sqlite', env: { FERRETDB_POSTGRESQL_URL: '' } });
  if (wanted.includes('postgresql')) {
    if (await canConnect('127.0.0.1', 5432)) {
      list.push({
        name: 'postgresql',
        env: {
          FERRETDB_POSTGRESQL_URL: process.env.BENCH_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
          FERRETDB_DATABASE: `bench_${RUN}`,
        },
      });
    } else {
      process.stdout.write('no PostgreSQL on 127.0.0.1:5432: FerretDB\'s PostgreSQL backend is not measured\n');
    }
  }
  return list;
}

async function main() {
  process.stdout.write(`webhook benchmark ${RUN}: ${EVENTS} events (+${WARMUP} warm-up) per phase, ${CONNECTIONS} connections, ${USERS} users; ${machine()}\n`);
  const results: BackendResult[] = [];
  for (const b of await backends()) {
    const r = await runBackend(b.name, b.env);
    results.push(r);
    report(
      `Stripe webhooks on FerretDB/${r.backend}: project vs naive handler (${EVENTS} events, ${CONNECTIONS} connections)`,
      rowsFor(r),
      extraFor(r),
    );
  }
  process.stdout.write(`\n${markdown(results)}\n`);
}

runBench(main);
