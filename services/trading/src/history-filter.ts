/**
 * The filters of ListSignals and ListTrades, checked and turned into a database query: pure,
 * each refusal naming the field (INVALID_ARGUMENT). Every filter has an index with the page
 * order behind it (models.ts); the time range uses the signal's receivedAt, the trade's createdAt.
 */
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Checked } from './strategy-input';
import { STRATEGY_ID } from './strategy-input';

export const SIGNAL_STATUSES = ['accepted', 'executed', 'duplicate', 'rejected', 'failed'] as const;
export const TRADE_STATUSES = ['submitted', 'filled', 'rejected', 'failed'] as const;

/** How the default strategy (the per-user URL, stored as '') is named in a filter. */
export const DEFAULT_STRATEGY = 'default';

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9:._/-]{0,39}$/;
const TOKEN = /^[a-z]{3}_[0-9a-z]{9}[0-9a-f]{12}$/;

export interface HistoryRequest {
  pageSize: number;
  pageToken: string;
  status: string;
  strategyId: string;
  symbol: string;
  from?: Timestamp;
  to?: Timestamp;
}

export interface HistoryQuery {
  filter: Record<string, unknown>;
  limit: number;
}

/**
 * `{userId, …filters, _id < page token}` for a page of `limit` (1..200, default 50), newest
 * first by _id (time-sortable ids double as page tokens).
 */
export function historyQuery(
  userId: string,
  req: HistoryRequest,
  kind: { statuses: readonly string[]; timeField: 'receivedAt' | 'createdAt' },
): Checked<HistoryQuery> {
  const filter: Record<string, unknown> = { userId };
  if (req.pageToken) {
    if (!TOKEN.test(req.pageToken)) return fail('page_token: not a token from a previous page');
    filter._id = { $lt: req.pageToken };
  }
  if (req.status) {
    if (!kind.statuses.includes(req.status)) return fail(`status: one of ${kind.statuses.join(', ')}`);
    filter.status = req.status;
  }
  if (req.strategyId) {
    if (req.strategyId === DEFAULT_STRATEGY) filter.strategyId = '';
    else if (STRATEGY_ID.test(req.strategyId)) filter.strategyId = req.strategyId;
    else return fail(`strategy_id: a strategy id (stg_…) or "${DEFAULT_STRATEGY}"`);
  }
  if (req.symbol) {
    if (!SYMBOL.test(req.symbol)) return fail('symbol: letters, digits and : . _ / - (at most 40)');
    filter.symbol = req.symbol;
  }
  const from = req.from ? timestampDate(req.from) : undefined;
  const to = req.to ? timestampDate(req.to) : undefined;
  if (from && to && !(from < to)) return fail('from: must be before to');
  if (from || to) filter[kind.timeField] = { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
  return { ok: true, value: { filter, limit: Math.min(Math.max(req.pageSize || 50, 1), 200) } };
}

const fail = <T>(message: string): Checked<T> => ({ ok: false, message });
