import { createHmac } from 'node:crypto';
import { RULES_FILE } from '../src/monitoring/prometheus-rule';
import { startBillingHarness, startPrometheus, type BillingHarness, type PrometheusServer } from '../src/testing';

const hostPort = (url: string) => new URL(url).host;

/** Retries an assertion until it passes (scrapes and gauges run every second or few). */
async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A Stripe-Signature header a forger would send: the right shape, signed with a key that is not ours. */
function forgedSignature(raw: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', 'whsec_not_the_real_secret').update(`${t}.${raw}`).digest('hex')}`;
}

async function postForged(gatewayUrl: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const raw = JSON.stringify({ id: `evt_forged_${Date.now()}_${i}`, type: 'invoice.paid', object: 'event', data: { object: {} } });
    const res = await fetch(`${gatewayUrl}/api/payments/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': forgedSignature(raw) },
      body: raw,
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

/**
 * The alert rules (deploy/k8s/monitoring/alerts.rules.yml, `for:` shortened) in a real
 * Prometheus scraping the local stack every second: the alerts fire from the services' own
 * metrics, not from series written by hand.
 */
describe('alerts from a real Prometheus scraping the local stack', () => {
  let h: BillingHarness;
  let prom: PrometheusServer;

  beforeAll(async () => {
    h = await startBillingHarness();
    prom = await startPrometheus({
      rulesFile: RULES_FILE,
      targets: {
        gateway: hostPort(h.stack.gatewayOpsUrl),
        billing: hostPort(h.stack.billingMetricsUrl),
        trading: hostPort(h.stack.tradingMetricsUrl),
      },
    });
    // Every target scraped once before anything is asserted.
    const deadline = Date.now() + 30_000;
    while ((await prom.query('up == 1')).length < 3) {
      if (Date.now() > deadline) throw new Error(`targets not up: ${JSON.stringify(await prom.query('up'))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await h?.stop();
  });

  it('scrapes RPC, consumer and process metrics from billing and trading', async () => {
    // The gateway's readiness checks call billing's and trading's Health/Check; the consumer
    // gauges are read from JetStream every few seconds.
    const series = async (expr: string, key: (m: Record<string, string>) => string) => (await prom.query(expr)).map((s) => key(s.metric)).sort();
    await eventually(async () =>
      expect(await series('sum by (job) (rpc_server_requests_total{method="Check",code="OK"})', (m) => m.job!)).toEqual(['billing', 'trading']),
    );
    await eventually(async () =>
      expect(await series('nats_consumer_ack_floor_sequence', (m) => `${m.job}:${m.stream}/${m.consumer}`)).toEqual(['billing:WEBHOOKS/billing-webhooks', 'trading:ALERTS/trading-alerts']),
    );
    expect(await series('process_resident_memory_bytes', (m) => m.job!)).toEqual(['billing', 'gateway', 'trading']);
    expect(await series('rpc_server_duration_seconds_count{method="Check"}', (m) => m.job!)).toEqual(['billing', 'trading']);
  }, 30_000);

  it("counts a TradingView alert trading refused by its outcome and code (no id in a label)", async () => {
    // A strategy URL nobody has: stored by the gateway, refused by trading (unknown_strategy).
    const strategyId = `stg_${'0'.repeat(31)}1`;
    const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook/${strategyId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'not-a-secret', action: 'buy', symbol: 'BTCUSDT', timestamp: new Date().toISOString() }),
    });
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(400);
    await eventually(async () => {
      const counted = await prom.query('trading_signals_total{outcome="rejected"}');
      expect(counted.map((s) => s.metric.reject_code)).toEqual(['unknown_strategy']);
    });
    const labels = (await prom.query('{job="trading"}')).flatMap((s) => Object.values(s.metric));
    expect(labels.filter((v) => v.includes(strategyId))).toEqual([]);
  }, 30_000);

  it('fires WebhookSignatureFailures on a burst of forged Stripe signatures, and not before', async () => {
    expect((await prom.alerts()).filter((a) => a.labels.alertname === 'WebhookSignatureFailures')).toEqual([]);
    // One first, so the counter exists when the burst raises it (increase() needs two samples).
    expect(await postForged(h.stack.gatewayUrl, 1)).toEqual([400]);
    await new Promise((r) => setTimeout(r, 2500));
    const statuses = await postForged(h.stack.gatewayUrl, 30);
    expect(new Set(statuses)).toEqual(new Set([400]));
    const alert = await prom.waitForFiring({ alertname: 'WebhookSignatureFailures', provider: 'stripe' }, 30_000);
    expect(alert.labels.severity).toBe('warning');
    expect(alert.annotations.runbook).toMatch(/forgery/);
  }, 60_000);

  it('fires ServiceDown for billing once it is stopped, and for no other service', async () => {
    expect((await prom.alerts()).filter((a) => a.labels.alertname === 'ServiceDown')).toEqual([]);
    await h.stack.children.get('billing')!.stop();
    const alert = await prom.waitForFiring({ alertname: 'ServiceDown', job: 'billing' }, 30_000);
    expect(alert.labels.severity).toBe('critical');
    const down = (await prom.alerts()).filter((a) => a.labels.alertname === 'ServiceDown').map((a) => a.labels.job);
    expect(down).toEqual(['billing']);
  }, 60_000);
});
