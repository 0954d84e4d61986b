import { randomUUID } from 'node:crypto';
import { createProTrader, stackNotificationsClient, startBillingHarness, WebhookReceiver, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { bearer, postAlert, request, tradingClient, type Answer } from './support/clients';
import { nextId } from './support/stripe-events';
import { until } from './support/until';

// The trader's data routes of /api/v1 against the real services: paper-mode alerts through
// the gateway, then the signal log (filters, paging, reason, latency, timeline, trace link),
// trades (filters, paging, CSV), positions and PnL by day.

jest.setTimeout(180_000);

const JAEGER = 'http://jaeger.example:16686';

describe('/api/v1 signals, trades, positions and pnl', () => {
  let h: BillingHarness;
  let receiver: WebhookReceiver;
  let gw: string;
  let trader: { id: string; secret: string };
  const ids: { executed: string[]; refused: string } = { executed: [], refused: '' };

  const api = (path: string, auth: string | null = bearer(trader.id)): Promise<Answer> =>
    request(`${gw}/api/v1${path}`, { headers: auth ? { authorization: auth } : {} });
  const send = async (body: Record<string, unknown>) => {
    const res = await postAlert(gw, trader.id, { secret: trader.secret, id: nextId('api'), ...body });
    // 200 executed (or accepted), 422 refused: what each became is read from the signal log.
    expect([body, [200, 422].includes(res.status)]).toEqual([body, true]);
    return res.body as Record<string, unknown>;
  };

  beforeAll(async () => {
    // Notifications with a webhook endpoint: the refused signal's notification is on its timeline.
    receiver = await new WebhookReceiver().start();
    h = await startBillingHarness({ notifications: true, serviceEnv: { gateway: { JAEGER_UI_URL: JAEGER }, notifications: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } } });
    gw = h.stack.gatewayUrl;
    h.okx.setPrice('BTC-USDT', 37_000);
    h.okx.setPrice('ETH-USDT', 2_000);
    const u = await createProTrader(h.stack, 'apidata');
    trader = { id: u.id, secret: u.secret };
    const added = await stackNotificationsClient(h.stack, { timeoutMs: 30_000 }).addWebhookEndpoint({ userId: trader.id, url: `${receiver.url}/hooks` });
    receiver.setSecrets([added.secret]);
    await tradingClient(h.stack).setRiskProfile({
      userId: trader.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 370, closeOppositeFirst: true, maxOrderNotional: 10_000, allowedSymbols: ['BTC/USDT'] },
    });
    // A buy, a sell at a higher price (realized PnL), another buy; and one the profile refuses.
    for (const [action, price] of [['buy', 37_000], ['sell', 38_000], ['buy', 37_500]] as const) {
      await send({ symbol: 'BTCUSDT', action, price });
    }
    await send({ symbol: 'ETHUSDT', action: 'buy', price: 2000 });
    const all = await until('the four signals to be settled', async () => {
      const r = await api('/signals?pageSize=10');
      const signals = r.body.signals as Array<{ id: string; outcome: string; symbol: string }>;
      return signals.length === 4 && signals.every((s) => s.outcome !== 'accepted') ? signals : undefined;
    });
    // Newest first: executed[0] is the last buy.
    ids.executed = all.filter((s) => s.outcome === 'executed').map((s) => s.id);
    ids.refused = all.find((s) => s.outcome === 'rejected')!.id;
    expect(ids.executed).toHaveLength(3);
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });

  it('answers 401 without a token on every route', async () => {
    for (const path of ['/signals', `/signals/${ids.refused}`, '/trades', '/trades.csv', '/positions', '/pnl']) {
      const r = await api(path, null);
      expect([path, r.status, r.body.error]).toEqual([path, 401, expect.any(String)]);
    }
  });

  it('describes its routes in the OpenAPI document', async () => {
    const doc = await api('/openapi.json', null);
    expect(doc.status).toBe(200);
    for (const path of ['/signals', '/signals/{id}', '/trades', '/trades.csv', '/positions', '/pnl']) expect(Object.keys(doc.body.paths)).toContain(path);
    expect(doc.body.paths['/signals'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['pageSize', 'pageToken', 'outcome', 'strategyId', 'symbol', 'from', 'to']);
  });

  it('answers 400 with the bad fields named', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/signals?outcome=lost', { outcome: expect.stringMatching(/^must be one of/) }],
      ['/signals?from=yesterday', { from: expect.any(String) }],
      ['/signals?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', { from: 'must be before to' }],
      ['/signals?strategyId=mine&pageSize=0', { strategyId: expect.any(String), pageSize: 'must be at least 1' }],
      ['/signals/not-a-signal', { id: 'must be a signal id (sig_…)' }],
      ['/trades?status=open', { status: expect.stringMatching(/^must be one of/) }],
      ['/trades.csv?symbol=%3D1%2B1', { symbol: expect.any(String) }],
      ['/pnl?days=400', { days: 'must be at most 366' }],
    ];
    for (const [path, fields] of cases) {
      const r = await api(path);
      expect([path, r.status, r.body]).toEqual([path, 400, expect.objectContaining({ error: 'invalid_request', fields })]);
    }
  });

  it('pages through the signal log, newest first, none twice', async () => {
    const one = await api('/signals?pageSize=3');
    expect(one.status).toBe(200);
    expect(one.body.signals).toHaveLength(3);
    expect(one.body.nextPageToken).not.toBe('');
    const two = await api(`/signals?pageSize=3&pageToken=${encodeURIComponent(one.body.nextPageToken)}`);
    expect(two.body).toMatchObject({ nextPageToken: '' });
    expect(two.body.signals).toHaveLength(1);
    const seen = [...one.body.signals, ...two.body.signals].map((s: { id: string }) => s.id);
    expect(new Set(seen).size).toBe(4);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('filters signals by outcome, symbol, strategy and time', async () => {
    const ofOutcome = (await api('/signals?outcome=rejected')).body.signals;
    expect(ofOutcome).toEqual([
      expect.objectContaining({
        id: ids.refused,
        outcome: 'rejected',
        rejectCode: 'risk_rejected',
        rejectRule: 'symbol_not_allowed',
        reason: 'Refused by the risk profile: the symbol is not in the allowed list',
        symbol: 'ETHUSDT', // as the alert sent it
        latencyMs: expect.any(Number),
      }),
    ]);
    expect((await api('/signals?symbol=BTCUSDT')).body.signals.map((s: { id: string }) => s.id).sort()).toEqual([...ids.executed].sort());
    expect((await api('/signals?strategyId=default')).body.signals).toHaveLength(4);
    expect((await api(`/signals?strategyId=stg_${'0'.repeat(32)}`)).body.signals).toHaveLength(0);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await api(`/signals?from=${future}`)).body.signals).toHaveLength(0);
    expect((await api(`/signals?to=${future}&outcome=executed`)).body.signals).toHaveLength(3);
  });

  it("shows an executed paper signal's timeline with latency and its trace in Jaeger", async () => {
    const r = await api(`/signals/${ids.executed[0]}`);
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s).toMatchObject({ id: ids.executed[0], outcome: 'executed', action: 'buy', symbol: 'BTCUSDT', rejectCode: '', reason: '' });
    expect(s.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.latencyMs).toBeLessThan(60_000);
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.traceUrl).toBe(`${JAEGER}/trace/${s.traceId}`);
    const stages = s.timeline.map((t: { stage: string; ok: boolean }) => [t.stage, t.ok]);
    // Then the notifications about it, if any were sent yet (fills may go out as a digest).
    expect(stages.slice(0, 4)).toEqual([['received', true], ['checked', true], ['order', true], ['fill', true]]);
    expect(stages.slice(4).every(([stage]: [string]) => stage === 'notification')).toBe(true);
    expect(s.timeline[3].detail).toBe('filled at 37500');
    const times = s.timeline.map((t: { at: string }) => Date.parse(t.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("shows a refused signal's timeline stopping at the checks, with the reason and its notification", async () => {
    const r = await until('the refusal to be notified', async () => {
      const got = await api(`/signals/${ids.refused}`);
      return got.body.timeline?.some((t: { stage: string; ok: boolean }) => t.stage === 'notification' && t.ok) ? got : undefined;
    });
    expect(r.status).toBe(200);
    expect(r.body.timeline).toEqual([
      { stage: 'received', at: r.body.receivedAt, ok: true, detail: 'buy ETHUSDT' },
      { stage: 'checked', at: expect.any(String), ok: false, detail: 'Refused by the risk profile: the symbol is not in the allowed list' },
      { stage: 'notification', at: expect.any(String), ok: true, detail: expect.stringMatching(/^webhook: .+ \(delivered\)$/) },
    ]);
    expect(Date.parse(r.body.timeline[1].at) - Date.parse(r.body.receivedAt)).toBe(r.body.latencyMs);
  });

  it("answers 404 for another user's signal or one that does not exist", async () => {
    expect((await api(`/signals/${ids.refused}`, bearer(randomUUID()))).status).toBe(404);
    expect((await api('/signals/sig_000000000000000000000')).status).toBe(404);
  });

  it('lists trades with filters and pages', async () => {
    const all = (await api('/trades')).body.trades as Array<Record<string, unknown>>;
    expect(all).toHaveLength(3);
    expect(all[0]).toEqual({
      id: expect.stringMatching(/^trd_/),
      signalId: ids.executed[0],
      strategyId: '',
      symbol: 'BTC/USDT',
      side: 'buy',
      amount: expect.any(Number),
      price: 37500,
      fee: expect.any(Number),
      feeCurrency: expect.any(String),
      status: 'filled',
      mode: 'paper',
      realizedPnl: 0,
      createdAt: expect.any(String),
    });
    const one = await api('/trades?pageSize=2');
    const two = await api(`/trades?pageSize=2&pageToken=${encodeURIComponent(one.body.nextPageToken)}`);
    expect([...one.body.trades, ...two.body.trades].map((t: { id: string }) => t.id)).toEqual(all.map((t) => t.id));
    expect(two.body.nextPageToken).toBe('');
    expect((await api('/trades?status=filled&symbol=BTC/USDT')).body.trades).toHaveLength(3);
    expect((await api('/trades?status=failed')).body.trades).toHaveLength(0);
    expect((await api('/trades?symbol=ETH/USDT')).body.trades).toHaveLength(0);
    expect((await api(`/trades?from=${new Date(Date.now() + 60_000).toISOString()}`)).body.trades).toHaveLength(0);
  });

  it('exports every trade as CSV', async () => {
    const res = await fetch(`${gw}/api/v1/trades.csv?status=filled`, { headers: { authorization: bearer(trader.id) } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="trades.csv"');
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe('id,createdAt,signalId,strategyId,symbol,side,amount,price,fee,feeCurrency,status,mode,realizedPnl');
    const rows = lines.slice(1, -1).map((l) => l.split(','));
    expect(rows).toHaveLength(3);
    const trades = (await api('/trades')).body.trades as Array<{ id: string; realizedPnl: number }>;
    expect(rows.map((r) => r[0])).toEqual(trades.map((t) => t.id));
    expect(rows.map((r) => Number(r[12]))).toEqual(trades.map((t) => t.realizedPnl));
    expect((await api('/trades.csv?symbol=ETH/USDT')).body).toBe('id,createdAt,signalId,strategyId,symbol,side,amount,price,fee,feeCurrency,status,mode,realizedPnl\r\n');
  });

  it('shows the open position and the realized PnL by day', async () => {
    const positions = (await api('/positions')).body.positions;
    expect(positions).toEqual([{ symbol: 'BTC/USDT', side: 'long', amount: expect.any(Number), entryPrice: expect.any(Number), mode: 'paper', realizedPnl: expect.any(Number) }]);
    const trades = (await api('/trades')).body.trades as Array<{ realizedPnl: number }>;
    const realized = trades.reduce((sum, t) => sum + t.realizedPnl, 0);
    expect(realized).toBeGreaterThan(0); // bought at 37000, sold at 38000
    const pnl = (await api('/pnl?days=7')).body;
    expect(pnl.currency).toBe('USDT');
    expect(pnl.daily).toHaveLength(7);
    expect(pnl.cumulative).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(pnl.daily.at(-1)).toEqual({ day: today, realizedPnl: expect.closeTo(realized, 6) });
    expect(pnl.daily.slice(0, 6).every((d: { realizedPnl: number }) => d.realizedPnl === 0)).toBe(true);
    expect(pnl.cumulative.at(-1).realizedPnl).toBeCloseTo(realized, 6);
    expect((await api('/pnl')).body.daily).toHaveLength(30);
  });
});
