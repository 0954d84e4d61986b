import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { Signal, Trade } from '@tbot/common';
import { z } from 'zod';
import { csvLine } from '../csv';
import { ApiError, defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime, pageOf, pageQuery } from '../paging';
import { latencyMs, signalTimeline, traceUrl, type TimelineDelivery } from '../signal-timeline';

// What the trader's signals and trades became: the signal log (filters, reason in words,
// latency, timeline), trades (filters, CSV), positions and realized PnL by day.

const SIGNAL_OUTCOMES = ['accepted', 'executed', 'duplicate', 'rejected', 'failed'] as const;
const TRADE_STATUSES = ['submitted', 'filled', 'rejected', 'failed'] as const;
/** Rows of one CSV export: past this, the caller narrows the time range. */
const MAX_CSV_ROWS = 50_000;

const date = (ts: Timestamp | undefined): Date | undefined => (ts ? timestampDate(ts) : undefined);

/** The filters the signal and trade lists share; `from`/`to` bound the time, [from, to). */
const commonFilters = {
  strategyId: z
    .string()
    .regex(/^(default|stg_[0-9a-f]{32})$/, 'must be a strategy id (stg_…) or "default"')
    .optional()
    .meta({ description: 'a strategy id, or "default" for alerts sent to the per-user URL' }),
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._/-]{0,39}$/, 'must be a symbol such as BTC/USDT')
    .optional()
    .meta({ description: 'unified symbol as stored: BTC/USDT, BTC/USDT:USDT' }),
  from: isoTime.optional().meta({ description: 'from this time (inclusive), ISO-8601' }),
  to: isoTime.optional().meta({ description: 'before this time (exclusive), ISO-8601' }),
};

function fromBeforeTo(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void {
  if (q.from && q.to && !(new Date(q.from) < new Date(q.to))) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
}

const signalsQuery = z
  .object({ ...pageQuery, outcome: z.enum(SIGNAL_OUTCOMES).optional(), ...commonFilters })
  .superRefine(fromBeforeTo);
const tradesFilters = { status: z.enum(TRADE_STATUSES).optional(), ...commonFilters };
const tradesQuery = z.object({ ...pageQuery, ...tradesFilters }).superRefine(fromBeforeTo);
const tradesCsvQuery = z.object(tradesFilters).superRefine(fromBeforeTo);

const signalSchema = z.object({
  id: z.string(),
  receivedAt: isoTime,
  symbol: z.string(),
  action: z.string(),
  strategyId: z.string().meta({ description: '"" for the per-user URL' }),
  strategy: z.string().meta({ description: 'the alert\u2019s own "strategy" label' }),
  outcome: z.string().meta({ description: SIGNAL_OUTCOMES.join(' | ') }),
  rejectCode: z.string(),
  rejectRule: z.string(),
  reason: z.string().meta({ description: 'rejectCode (and rejectRule) in words' }),
  message: z.string(),
  tradeIds: z.array(z.string()),
  latencyMs: z.number().optional().meta({ description: 'from receipt to outcome; absent while accepted and on old signals' }),
  traceId: z.string().optional(),
});

const timelineStep = z.object({
  stage: z.enum(['received', 'checked', 'order', 'fill', 'notification']),
  at: isoTime,
  ok: z.boolean(),
  detail: z.string(),
});

const signalDetailSchema = signalSchema.extend({
  timeline: z.array(timelineStep),
  traceUrl: z.string().optional().meta({ description: 'the trace in Jaeger, when JAEGER_UI_URL is set' }),
});

const tradeSchema = z.object({
  id: z.string(),
  signalId: z.string(),
  strategyId: z.string(),
  symbol: z.string(),
  side: z.string(),
  amount: z.number(),
  price: z.number(),
  fee: z.number(),
  feeCurrency: z.string(),
  status: z.string().meta({ description: TRADE_STATUSES.join(' | ') }),
  mode: z.string(),
  realizedPnl: z.number(),
  createdAt: isoTime,
});

const positionSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  amount: z.number(),
  entryPrice: z.number(),
  mode: z.string(),
  realizedPnl: z.number(),
});

const pnlDay = z.object({ day: z.string().meta({ description: 'YYYY-MM-DD (UTC)' }), realizedPnl: z.number() });

function signalOut(s: Signal) {
  const receivedAt = date(s.receivedAt) ?? new Date(0);
  return {
    id: s.id,
    receivedAt: receivedAt.toISOString(),
    symbol: s.symbol,
    action: s.action,
    strategyId: s.strategyId,
    strategy: s.strategy,
    outcome: s.status,
    rejectCode: s.rejectCode,
    rejectRule: s.rejectRule,
    reason: s.reason,
    message: s.message,
    tradeIds: s.tradeIds,
    latencyMs: latencyMs(receivedAt, date(s.decidedAt)),
    traceId: s.traceId || undefined,
  };
}

function tradeOut(t: Trade) {
  return {
    id: t.id,
    signalId: t.signalId,
    strategyId: t.strategyId,
    symbol: t.symbol,
    side: t.side,
    amount: t.amount,
    price: t.price,
    fee: t.fee,
    feeCurrency: t.feeCurrency,
    status: t.status,
    mode: t.mode,
    realizedPnl: t.realizedPnl,
    createdAt: iso(t.createdAt) ?? new Date(0).toISOString(),
  };
}

type Filters = { status?: string | undefined; outcome?: string | undefined; strategyId?: string | undefined; symbol?: string | undefined; from?: string | undefined; to?: string | undefined };

/** The query's filters as the list RPCs take them. */
function rpcFilters(q: Filters) {
  const ts = (s: string | undefined) => (s ? timestampFromDate(new Date(s)) : undefined);
  return { status: q.outcome ?? q.status ?? '', strategyId: q.strategyId ?? '', symbol: q.symbol ?? '', from: ts(q.from), to: ts(q.to) };
}

const TRADE_CSV_COLUMNS = ['id', 'createdAt', 'signalId', 'strategyId', 'symbol', 'side', 'amount', 'price', 'fee', 'feeCurrency', 'status', 'mode', 'realizedPnl'] as const;

export function historyRoutes({ clients, config, logger }: ApiDeps): ApiRoute[] {
  const { trading, notifications } = clients;

  /** The notifications about a signal and its trades; none (logged) when the service does not answer: the rest of the timeline stands. */
  async function deliveriesOf(userId: string, ids: string[]): Promise<TimelineDelivery[]> {
    try {
      const r = await notifications.listDeliveries({ userId, subjectIds: ids.slice(0, 20), pageSize: 50 });
      return r.deliveries.map((d) => ({
        channel: d.channel,
        status: d.status,
        title: d.title,
        createdAt: date(d.createdAt) ?? new Date(0),
        lastAttemptAt: date(d.attempts.at(-1)?.at),
      }));
    } catch (err) {
      logger.warn({ err, user_id: userId }, 'notifications not listed for a signal timeline');
      return [];
    }
  }

  return [
    defineRoute({
      method: 'get',
      path: '/signals',
      summary: 'The signal log: every alert received, newest first, with its outcome and why',
      tags: ['signals'],
      auth: 'user',
      query: signalsQuery,
      response: pageOf('signals', signalSchema),
      handler: async ({ userId, query }) => {
        const r = await trading.listSignals({ userId, pageSize: query.pageSize, pageToken: query.pageToken, ...rpcFilters(query) });
        return { signals: r.signals.map(signalOut), nextPageToken: r.nextPageToken };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/signals/{id}',
      summary: 'One signal and its timeline: received, checked, order, fill, notification',
      tags: ['signals'],
      auth: 'user',
      params: z.object({ id: z.string().regex(/^sig_[0-9a-z]{9}[0-9a-f]{12}$/, 'must be a signal id (sig_…)') }),
      response: signalDetailSchema,
      handler: async ({ userId, params }) => {
        const r = await trading.getSignal({ userId, signalId: params.id });
        const s = r.signal;
        if (!s) throw new ApiError(404, 'not_found', 'no such signal');
        const deliveries = await deliveriesOf(userId, [s.id, ...r.trades.map((t) => t.id)]);
        const timeline = signalTimeline(
          {
            receivedAt: date(s.receivedAt) ?? new Date(0),
            decidedAt: date(s.decidedAt),
            status: s.status,
            symbol: s.symbol,
            action: s.action,
            strategy: s.strategy,
            reason: s.reason,
            message: s.message,
          },
          r.trades.map((t) => ({
            id: t.id,
            createdAt: date(t.createdAt) ?? new Date(0),
            settledAt: date(t.settledAt),
            updatedAt: date(t.updatedAt) ?? new Date(0),
            status: t.status,
            side: t.side,
            amount: t.amount,
            symbol: t.symbol,
            price: t.price,
            mode: t.mode,
            error: t.error,
          })),
          deliveries,
        );
        return {
          ...signalOut(s),
          timeline: timeline.map((step) => ({ ...step, at: step.at.toISOString() })),
          traceUrl: traceUrl(config.JAEGER_UI_URL, s.traceId),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/trades',
      summary: 'Orders placed, newest first',
      tags: ['trades'],
      auth: 'user',
      query: tradesQuery,
      response: pageOf('trades', tradeSchema),
      handler: async ({ userId, query }) => {
        const r = await trading.listTrades({ userId, pageSize: query.pageSize, pageToken: query.pageToken, ...rpcFilters(query) });
        return { trades: r.trades.map(tradeOut), nextPageToken: r.nextPageToken };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/trades.csv',
      summary: 'Every trade matching the filters as CSV (RFC 4180), newest first',
      description: `At most ${MAX_CSV_ROWS} rows (narrow the time range beyond that: 400 too_many_rows). Cells a spreadsheet would read as a formula start with '.`,
      tags: ['trades'],
      auth: 'user',
      query: tradesCsvQuery,
      response: z.string(),
      contentType: 'text/csv; charset=utf-8',
      handler: async ({ userId, query, res }) => {
        let csv = csvLine(TRADE_CSV_COLUMNS);
        let rows = 0;
        let pageToken = '';
        do {
          const r = await trading.listTrades({ userId, pageSize: 200, pageToken, ...rpcFilters(query) });
          rows += r.trades.length;
          if (rows > MAX_CSV_ROWS) throw new ApiError(400, 'too_many_rows', `more than ${MAX_CSV_ROWS} trades match: narrow the time range (from, to)`);
          for (const t of r.trades) {
            const row = tradeOut(t);
            csv += csvLine(TRADE_CSV_COLUMNS.map((c) => row[c]));
          }
          pageToken = r.nextPageToken;
        } while (pageToken);
        res.setHeader('Content-Disposition', 'attachment; filename="trades.csv"');
        return csv;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/positions',
      summary: 'Open positions',
      tags: ['trades'],
      auth: 'user',
      response: z.object({ positions: z.array(positionSchema) }),
      handler: async ({ userId }) => {
        const r = await trading.getPositions({ userId });
        return {
          positions: r.positions.map((p) => ({ symbol: p.symbol, side: p.side as 'long' | 'short', amount: p.amount, entryPrice: p.entryPrice, mode: p.mode, realizedPnl: p.realizedPnl })),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pnl',
      summary: 'Realized PnL by UTC day and its running sum, every day of the window',
      tags: ['trades'],
      auth: 'user',
      query: z.object({ days: z.coerce.number().int().min(1).max(366).default(30).meta({ description: 'days up to today (UTC), 1..366' }) }),
      response: z.object({ currency: z.string(), daily: z.array(pnlDay), cumulative: z.array(pnlDay) }),
      handler: async ({ userId, query }) => {
        const r = await trading.getPnl({ userId, days: query.days });
        const days = (list: typeof r.daily) => list.map((d) => ({ day: d.day, realizedPnl: d.realizedPnl }));
        return { currency: r.currency, daily: days(r.daily), cumulative: days(r.cumulative) };
      },
    }),
  ];
}
