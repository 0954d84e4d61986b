import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureNats, freePort, type Child } from '@tbot/local-stack';
import { connect, type NatsConnection } from 'nats';
import { KvCounters, openRateLimitBucket } from '../src/rate-limit-sync';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process';
import { until } from './support/until';

// Two real gateway processes on one real NATS: the per-address limit holds for the pair,
// not for each. Billing and trading are not needed (the limit is checked before them).

const LIMIT = 20;
const SYNC_MS = 50;


describe('rate limits across gateway replicas (NATS KV)', () => {
  let dataDir: string;
  let natsUrl: string;
  let nats: Child | undefined;
  const replicas: GatewayProcess[] = [];
  const logs: string[] = [];

  const startReplica = (name: string) =>
    startGatewayProcess(
      name,
      natsUrl,
      {
        STRIPE_WEBHOOK_SECRET: 'whsec_replicas_test_secret',
        IP_RATE_LIMIT_PER_MINUTE: String(LIMIT),
        RATE_LIMIT_SYNC_MS: String(SYNC_MS),
        // Each case plays a different client address through X-Forwarded-For.
        TRUST_PROXY: 'loopback',
      },
      logs,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'tbot-ratelimit-'));
    // A NATS of its own: the bucket's counters are not shared with another run.
    natsUrl = `nats://127.0.0.1:${await freePort()}`;
    nats = await ensureNats(natsUrl, path.join(dataDir, 'nats'), (n, line) => logs.push(`${n} | ${line}`));
    replicas.push(await startReplica('gateway-a'), await startReplica('gateway-b'));
  });
  afterAll(async () => {
    for (const r of replicas) await r.child.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Windows are clock minutes: a case must not straddle two of them. */
  const clearOfWindowEnd = async () => {
    const into = Date.now() % 60_000;
    if (into > 45_000) await sleep(60_000 - into + 100);
  };

  /** Sends n requests from one client address, alternating between the replicas, a few ms apart. */
  const alternate = async (n: number, ip: string, send: (base: string, ip: string) => Promise<Response>) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await send(replicas[i % replicas.length]!.url, ip);
      await res.arrayBuffer();
      statuses.push(res.status);
      await sleep(20);
    }
    return statuses;
  };
  const apiGet = (base: string, ip: string) => fetch(`${base}/api/nope`, { headers: { 'x-forwarded-for': ip } });

  it('limits requests alternating between two replicas at about the configured count, not twice it', async () => {
    await clearOfWindowEnd();
    const statuses = await alternate(3 * LIMIT, '203.0.113.10', apiGet);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
    const admitted = statuses.filter((s) => s === 404).length;
    // Each replica alone would admit LIMIT (2 × LIMIT together). Shared: LIMIT, plus at most
    // what a replica admits within one sync interval before it hears of the other's hits.
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(LIMIT + 3);
    // Once over, both replicas refuse.
    expect(statuses.slice(-10)).toEqual(Array(10).fill(429));
    // Another address has its own count.
    expect((await apiGet(replicas[0]!.url, '203.0.113.99')).status).toBe(404);
  });

  it('shares the per-address count of provider webhooks too, without slowing them', async () => {
    await clearOfWindowEnd();
    // Unsigned: refused 400 after the limit check, so each answer shows which side of the limit it was.
    const post = (base: string, ip: string) =>
      fetch(`${base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'x-forwarded-for': ip, 'content-type': 'application/json' }, body: '{}' });
    const statuses = await alternate(2 * LIMIT, '203.0.113.11', post);
    expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
    const admitted = statuses.filter((s) => s === 400).length;
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(LIMIT + 3);
    // The check itself waits on nothing: a burst answers as fast as the in-memory limiter.
    const started = performance.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => post(replicas[i % 2]!.url, `198.51.100.${i}`).then((r) => r.arrayBuffer())));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('adds to a counter from two writers at once without losing or doubling a hit (compare-and-set)', async () => {
    const conns: NatsConnection[] = [await connect({ servers: natsUrl }), await connect({ servers: natsUrl })];
    try {
      const counters = await Promise.all(conns.map(async (nc) => new KvCounters(await openRateLimitBucket(nc, 2000))));
      const key = `test.${Date.now()}.contended`;
      // Like two replicas syncing the same key: each keeps what it last saw, and an add that
      // gave up (too contended) is tried again, as the sync does on its next round.
      const writer = async (c: KvCounters) => {
        let known = { total: 0, revision: 0 };
        const totals: number[] = [];
        for (let i = 0; i < 25; i++) {
          for (;;) {
            try {
              known = await c.add(key, 1, known);
              totals.push(known.total);
              break;
            } catch {
              known = { total: 0, revision: 0 };
            }
          }
        }
        return totals;
      };
      const totals = (await Promise.all(counters.map(writer))).flat().sort((a, b) => a - b);
      expect(totals).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      for (const nc of conns) await nc.close();
    }
  });

  it('falls back to limiting per replica when NATS is gone, never answering 5xx for it', async () => {
    await nats!.stop();
    await clearOfWindowEnd();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) {
      const res = await apiGet(replicas[0]!.url, '203.0.113.12');
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(404));
    expect(statuses.slice(LIMIT)).toEqual(Array(5).fill(429));
    await until('the fallback to be logged and counted', async () => {
      const logged = logs.some((l) => l.startsWith('gateway-a') && l.includes('limiting per replica'));
      const metrics = await (await fetch(`${replicas[0]!.ops}/metrics`)).text();
      return logged && /rate_limit_sync_failures_total [1-9]/.test(metrics) ? true : undefined;
    }, 15_000);
    expect((await fetch(`${replicas[0]!.url}/healthz`)).status).toBe(200);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
