import { randomBytes } from 'node:crypto';
import { findTool, freePort, startJaeger, type RunningJaeger } from '../src';
import {
  createProTrader,
  JaegerQuery,
  signStripe,
  stackBillingClient,
  stackNotificationsClient,
  stackTradingClient,
  startBillingHarness,
  WebhookReceiver,
  type BillingHarness,
  type CollectedSpan,
} from '../src/testing';

// What an operator does with a webhook that went wrong: take the trace_id from the
// gateway's log line and read the whole trace from Jaeger. A real Jaeger (the tools
// cache's build), the stack exporting to it as `npm start` makes it, and every span read
// back through Jaeger's query API: one trace from the HTTP request across NATS to the
// service that handled the message.

// OTLP span kinds
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

describe('webhook traces in Jaeger', () => {
  let jaeger: RunningJaeger;
  let query: JaegerQuery;
  let h: BillingHarness;
  let receiver: WebhookReceiver;
  const jaegerLogs: string[] = [];

  beforeAll(async () => {
    const bin = findTool('jaeger', process.env.JAEGER_BIN);
    if (!bin) throw new Error('Jaeger is not built: `npm run tools -- jaeger` builds it into the tools cache');
    jaeger = await startJaeger({
      bin,
      // Free ports: `npm start` or another run may hold Jaeger's own.
      ports: { otlpGrpc: await freePort(), otlpHttp: await freePort(), queryGrpc: await freePort(), queryHttp: await freePort() },
      sink: (_name, line) => jaegerLogs.push(line),
    });
    query = new JaegerQuery(jaeger.queryUrl);
    // Notifications too, with a user's outbound webhook endpoint: an alert's trace ends at
    // the POST to it.
    receiver = await new WebhookReceiver().start();
    h = await startBillingHarness({
      notifications: true,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint },
      serviceEnv: { notifications: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } },
    });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
    await jaeger?.child.stop();
  });

  /** The trace_id of the gateway's log line that `match` picks (every such line carries one). */
  async function traceIdFromGatewayLog(what: string, match: (line: Record<string, unknown>) => boolean): Promise<string> {
    const line = await eventually(what, async () =>
      h.logs
        .filter((l) => l.startsWith('gateway | {'))
        .map((l) => JSON.parse(l.slice('gateway | '.length)) as Record<string, unknown>)
        .find(match),
    );
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    return String(line.trace_id);
  }

  /** The trace as Jaeger has it, once it holds every span `complete` waits for. */
  async function traceFromJaeger(traceId: string, complete: (spans: CollectedSpan[]) => boolean): Promise<CollectedSpan[]> {
    let last: CollectedSpan[] = [];
    return eventually(`trace ${traceId} in Jaeger`, async () => {
      last = await query.trace(traceId);
      return complete(last) ? last : undefined;
    }, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; it holds: ${last.map((s) => `${s.service} ${s.kind} ${s.name}`).join(', ') || 'nothing'}`);
    });
  }

  it("holds a Stripe webhook's trace: gateway HTTP, NATS publish, billing's apply with MongoDB, its event and trading's consumer", async () => {
    const billing = stackBillingClient(h.stack);
    const user = await billing.createUser({ email: `jaeger-${randomBytes(4).toString('hex')}@example.com` });
    const eventId = `evt_jaeger_${randomBytes(6).toString('hex')}`;
    const body = JSON.stringify({
      id: eventId,
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `sub_${eventId}`, status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
    });
    const res = await fetch(`${h.stack.gatewayUrl}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signStripe(body) }, body });
    expect(res.status).toBe(200);

    const traceId = await traceIdFromGatewayLog('the gateway\'s "webhook stored" line', (l) => l.msg === 'webhook stored' && l.event_key === `stripe:${eventId}`);
    const subject = 'webhooks.stripe.customer.subscription.created';
    const spans = await traceFromJaeger(traceId, (s) =>
      s.some((x) => x.service === 'billing' && x.name === 'billing.subscription.activated publish') &&
      s.some((x) => x.service === 'trading' && x.name === 'billing.subscription.activated process'),
    );
    const find = (what: string, pred: (s: CollectedSpan) => boolean) => {
      const found = spans.find(pred);
      if (!found) throw new Error(`no ${what} in trace ${traceId}: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
      return found;
    };
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));

    const http = find('gateway HTTP server span', (s) => s.service === 'gateway' && s.kind === SERVER && !s.parentSpanId);
    expect(http.attributes['http.route'] ?? http.name).toContain('/api/payments/stripe/webhook');
    const stored = find('gateway NATS publish', (s) => s.service === 'gateway' && s.kind === PRODUCER && s.name === `${subject} publish`);
    expect(stored.attributes['messaging.message.id']).toBe(`stripe:${eventId}`);
    const apply = find("billing's consumer span", (s) => s.service === 'billing' && s.kind === CONSUMER && s.name === `${subject} process`);
    expect(apply.parentSpanId).toBe(stored.spanId);
    const mongo = find('a MongoDB span of billing', (s) => s.service === 'billing' && isMongo(s));
    expect(isBelow(spans, mongo, apply)).toBe(true);
    const activated = find("billing's event publish", (s) => s.service === 'billing' && s.kind === PRODUCER && s.name === 'billing.subscription.activated publish');
    const entitlement = find("trading's consumer of billing's event", (s) => s.service === 'trading' && s.kind === CONSUMER && s.name === 'billing.subscription.activated process');
    expect(entitlement.parentSpanId).toBe(activated.spanId);
  });

  it("holds a TradingView alert's trace: gateway HTTP, the ALERTS publish, trading's consumer, its Connect call to billing, MongoDB and notifications' webhook", async () => {
    const trader = await createProTrader(h.stack, 'jaeger');
    await stackTradingClient(h.stack).setRiskProfile({
      userId: trader.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 },
    });
    const endpoint = await stackNotificationsClient(h.stack, { timeoutMs: 10_000 }).addWebhookEndpoint({ userId: trader.id, url: `${receiver.url}/hooks` });
    receiver.setSecrets([endpoint.secret]);
    const alert = { symbol: 'BTCUSDT', action: 'buy', price: '37000', strategy: 'jaeger', secret: trader.secret, id: `ord_${randomBytes(6).toString('hex')}` };
    const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook/${trader.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
    });
    expect([200, 202]).toContain(res.status);

    const traceId = await traceIdFromGatewayLog('the gateway\'s "alert answered" line', (l) => l.msg === 'alert answered' && l.user_id === trader.id);
    const spans = await traceFromJaeger(traceId, (s) =>
      s.some((x) => x.service === 'trading' && x.kind === CONSUMER) &&
      s.some((x) => x.service === 'billing' && x.kind === SERVER) &&
      s.some((x) => x.service === 'trading' && isMongo(x)) &&
      s.some((x) => x.service === 'notifications' && x.kind === CLIENT && x.name === 'notification webhook send'),
    );
    const find = (what: string, pred: (s: CollectedSpan) => boolean) => {
      const found = spans.find(pred);
      if (!found) throw new Error(`no ${what} in trace ${traceId}: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
      return found;
    };
    const http = find('gateway HTTP server span', (s) => s.service === 'gateway' && s.kind === SERVER && !s.parentSpanId);
    expect(http.attributes['http.route'] ?? http.name).toContain('/api/tradingview/webhook');
    const stored = find('gateway publish to ALERTS', (s) => s.service === 'gateway' && s.kind === PRODUCER && s.name === 'alerts.tradingview publish');
    const execute = find("trading's consumer span", (s) => s.service === 'trading' && s.kind === CONSUMER && s.name === 'alerts.tradingview process');
    expect(execute.parentSpanId).toBe(stored.spanId);
    // The entitlement check: trading's Connect client span and billing's server span under it.
    const rpcClient = find("trading's Connect call to billing", (s) => s.service === 'trading' && s.kind === CLIENT && String(s.attributes['rpc.service']).includes('BillingService'));
    expect(isBelow(spans, rpcClient, execute)).toBe(true);
    const rpcServer = find("billing's Connect server span", (s) => s.service === 'billing' && s.kind === SERVER && s.parentSpanId === rpcClient.spanId);
    expect(rpcServer.name).toBe(rpcClient.name);
    const mongo = find('a MongoDB span of trading', (s) => s.service === 'trading' && isMongo(s));
    expect(isBelow(spans, mongo, execute)).toBe(true);
    // The order's events, which notifications and the user's webhooks are sent from, continue it.
    const orderEvent = find("trading's order event publish", (s) => s.service === 'trading' && s.kind === PRODUCER && s.name.startsWith('trading.order.'));
    expect(isBelow(spans, orderEvent, execute)).toBe(true);
    // Notifications: its consumer of a trading event, and the POST to the user's endpoint.
    const notified = find("notifications' consumer span", (s) => s.service === 'notifications' && s.kind === CONSUMER && s.name.startsWith('trading.order.'));
    expect(isBelow(spans, notified, execute)).toBe(true);
    const delivered = find("notifications' webhook send span", (s) => s.service === 'notifications' && s.kind === CLIENT && s.name === 'notification webhook send');
    expect(isBelow(spans, delivered, execute)).toBe(true);
  });
});

/** A MongoDB driver span (the semantic conventions' old attribute name or the new one). */
function isMongo(s: CollectedSpan): boolean {
  return s.kind === CLIENT && (s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'mongodb';
}

/** Whether `span` descends from `ancestor` in `spans`. */
function isBelow(spans: CollectedSpan[], span: CollectedSpan, ancestor: CollectedSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId)) if (s.spanId === ancestor.spanId) return true;
  return false;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
