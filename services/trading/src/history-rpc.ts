/**
 * What a user's signals and trades became: the list RPCs (filtered, paged), one signal with its
 * trades (the dashboard's timeline), and realized PnL by day.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  GetPnlResponseSchema,
  GetSignalResponseSchema,
  ListSignalsResponseSchema,
  ListTradesResponseSchema,
  PnlDaySchema,
  SignalSchema,
  TradeSchema,
  type Signal,
  type Trade,
  type TradingService,
} from '@tbot/common';
import { historyQuery, SIGNAL_STATUSES, TRADE_STATUSES } from './history-filter';
import type { SignalDoc, TradeDoc, TradingModels } from './models';
import { MAX_PNL_DAYS, pnlByDay, pnlWindowStart } from './pnl';
import { reasonInWords } from './reject-reasons';

type HistoryRpcs = Pick<ServiceImpl<typeof TradingService>, 'listTrades' | 'listSignals' | 'getSignal' | 'getPnl'>;

const SIGNAL_ID = /^sig_[0-9a-z]{9}[0-9a-f]{12}$/;

export function tradeMessage(t: TradeDoc): Trade {
  return create(TradeSchema, {
    id: t._id,
    userId: t.userId,
    signalId: t.signalId,
    symbol: t.symbol,
    side: t.side,
    amount: t.amount,
    price: t.price ?? 0,
    fee: t.fee ?? 0,
    feeCurrency: t.feeCurrency ?? '',
    status: t.status,
    mode: t.mode,
    exchangeOrderId: t.exchangeOrderId ?? '',
    clientOrderId: t.clientOrderId,
    reduceOnly: t.reduceOnly ?? false,
    error: t.error ?? '',
    realizedPnl: t.realizedPnl ?? 0,
    strategyId: t.strategyId ?? '',
    createdAt: timestampFromDate(t.createdAt),
    updatedAt: timestampFromDate(t.updatedAt),
    settledAt: t.settledAt ? timestampFromDate(t.settledAt) : undefined,
  });
}

export function signalMessage(s: SignalDoc): Signal {
  return create(SignalSchema, {
    id: s._id,
    userId: s.userId,
    receivedAt: timestampFromDate(s.receivedAt),
    symbol: s.symbol ?? '',
    action: s.action ?? '',
    strategy: s.strategy ?? '',
    status: s.status,
    rejectCode: s.rejectCode ?? '',
    rejectRule: s.rejectRule ?? '',
    message: s.message ?? '',
    tradeIds: s.tradeIds ?? [],
    sourceIp: s.sourceIp ?? '',
    strategyId: s.strategyId ?? '',
    decidedAt: s.decidedAt ? timestampFromDate(s.decidedAt) : undefined,
    traceId: s.traceId ?? '',
    reason: reasonInWords(s.rejectCode ?? '', s.rejectRule ?? ''),
  });
}

function valid<T>(c: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!c.ok) throw new ConnectError(c.message, Code.InvalidArgument);
  return c.value;
}

export function historyRpcs(models: TradingModels, userIdOf: (value: string) => string): HistoryRpcs {
  return {
    async listTrades(req) {
      const q = valid(historyQuery(userIdOf(req.userId), req, { statuses: TRADE_STATUSES, timeField: 'createdAt' }));
      const trades = await models.Trade.find(q.filter).sort({ _id: -1 }).limit(q.limit + 1).lean();
      const shown = trades.slice(0, q.limit);
      return create(ListTradesResponseSchema, {
        trades: shown.map(tradeMessage),
        nextPageToken: trades.length > q.limit ? (shown.at(-1)?._id ?? '') : '',
      });
    },

    async listSignals(req) {
      const q = valid(historyQuery(userIdOf(req.userId), req, { statuses: SIGNAL_STATUSES, timeField: 'receivedAt' }));
      const signals = await models.Signal.find(q.filter).sort({ _id: -1 }).limit(q.limit + 1).lean();
      const shown = signals.slice(0, q.limit);
      return create(ListSignalsResponseSchema, {
        signals: shown.map(signalMessage),
        nextPageToken: signals.length > q.limit ? (shown.at(-1)?._id ?? '') : '',
      });
    },

    async getSignal(req) {
      const userId = userIdOf(req.userId);
      if (!SIGNAL_ID.test(req.signalId)) throw new ConnectError('signal_id: a signal id (sig_…)', Code.InvalidArgument);
      const signal = await models.Signal.findById(req.signalId).lean();
      // Another user's signal is answered as a missing one.
      if (!signal || signal.userId !== userId) throw new ConnectError('signal_id: no such signal', Code.NotFound);
      // By signal id, not tradeIds: a paper stop-loss closes under the signal that set it.
      const trades = await models.Trade.find({ signalId: signal._id, userId }).sort({ _id: 1 }).lean();
      return create(GetSignalResponseSchema, { signal: signalMessage(signal), trades: trades.map(tradeMessage) });
    },

    async getPnl(req) {
      const userId = userIdOf(req.userId);
      const days = req.days || 30;
      if (days > MAX_PNL_DAYS) throw new ConnectError(`days: 1..${MAX_PNL_DAYS}`, Code.InvalidArgument);
      const now = new Date();
      const trades = await models.Trade.find(
        { userId, createdAt: { $gte: pnlWindowStart(days, now) }, status: 'filled' },
        { createdAt: 1, realizedPnl: 1 },
      ).lean();
      const r = pnlByDay(trades.map((t) => ({ createdAt: t.createdAt, realizedPnl: t.realizedPnl ?? 0 })), days, now);
      return create(GetPnlResponseSchema, {
        currency: 'USDT',
        daily: r.daily.map((d) => create(PnlDaySchema, d)),
        cumulative: r.cumulative.map((d) => create(PnlDaySchema, d)),
      });
    },
  };
}
