/**
 * `npm run bench` (second part): TradingView alerts through gateway → trading (→ billing
 * for entitlement) → paper book in FerretDB. Reports latency percentiles (TradingView
 * gives up after 3 s), throughput and the trading service's memory, and checks that
 * every distinct alert became exactly one trade.
 *
 * Environment: BENCH_ALERTS (default 400), BENCH_CONCURRENCY (8), BENCH_TRADERS (20).
 */
import mongoose from 'mongoose';
import { createProTrader, stackTradingClient, startBillingHarness } from '../testing';
import { benchDatabaseEnv, percentile, report, rssMb, runBench, type Row } from './report';

const TARGETS = { p95Ms: 1000, p99Ms: 2000, minPerSecond: 15, tradingRssMb: 300 };

const ALERTS = Number(process.env.BENCH_ALERTS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TRADERS = Number(process.env.BENCH_TRADERS ?? 20);

async function main() {
  const h = await startBillingHarness({
    env: {
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      ...(await benchDatabaseEnv('benchtv')),
    },
    serviceEnv: { gateway: { TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE: '1000000', TRADINGVIEW_USER_RATE_LIMIT_PER_MINUTE: '1000000' } },
  });
  try {
    const trading = stackTradingClient(h.stack);
    const traders: Array<{ id: string; secret: string }> = [];
    for (let i = 0; i < TRADERS; i++) {
      const user = await createProTrader(h.stack, 'tv-bench');
      await trading.setRiskProfile({
        userId: user.id,
        profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 20, maxOrdersPerMinute: 100_000, maxOrdersPerDay: 100_000, maxPositionNotional: 1e9, maxOrderNotional: 1e6, closeOppositeFirst: true },
      });
      traders.push(user);
    }

    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ALERTS) {
          const i = next++;
          const trader = traders[i % traders.length]!;
          const body = JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: '37000', strategy: 'bench', id: `bench-${i}`, secret: trader.secret });
          const t0 = performance.now();
          const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${trader.id}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    let trades = 0;
    for (const t of traders) trades += (await trading.listTrades({ userId: t.id, pageSize: 200 })).trades.filter((x) => x.status === 'filled').length;
    const perSecond = ALERTS / seconds;
    const rss = rssMb(h.stack.children.get('trading')?.proc.pid);
    const rows: Row[] = [
      ['throughput (alerts/s)', perSecond.toFixed(0), `≥ ${TARGETS.minPerSecond}`, perSecond >= TARGETS.minPerSecond],
      ['latency p50 (ms)', percentile(latencies, 50).toFixed(1), '', true],
      ['latency p95 (ms)', percentile(latencies, 95).toFixed(1), `≤ ${TARGETS.p95Ms}`, percentile(latencies, 95) <= TARGETS.p95Ms],
      ['latency p99 (ms)', percentile(latencies, 99).toFixed(1), `≤ ${TARGETS.p99Ms}`, percentile(latencies, 99) <= TARGETS.p99Ms],
      ['trading RSS (MiB)', rss.toFixed(0), `≤ ${TARGETS.tradingRssMb}`, rss <= TARGETS.tradingRssMb],
      ['alerts answered 200', `${statuses.get('200') ?? 0}/${ALERTS}`, `= ${ALERTS}`, statuses.get('200') === ALERTS],
      ['one filled trade per alert', `${trades}/${ALERTS}`, `= ${ALERTS}`, trades === ALERTS],
    ];
    report(`TradingView alert benchmark (paper): ${ALERTS} alerts, concurrency ${CONCURRENCY}, ${TRADERS} traders`, rows, `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  } finally {
    // Its database is the run's own (benchDatabaseEnv): left behind, each run would leave a schema in the local PostgreSQL.
    await h.stack.children.get('gateway')?.stop(5000);
    await h.stack.children.get('trading')?.stop(5000);
    await h.stack.children.get('billing')?.stop(5000);
    const conn = await mongoose.createConnection(h.stack.mongoUri).asPromise().catch(() => undefined);
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await h.stop();
  }
}

runBench(main);
