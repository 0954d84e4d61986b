/** The public API v1 (gateway, /api/v1): typed calls and the shapes they answer. */
import { currentToken } from './session';

export interface ApiErrorBody {
  error: string;
  message?: string;
  fields?: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message || body.error);
  }
}

/** Told when any call answers 401: the app then shows its "sign in again" screen. */
let onUnauthorized: () => void = () => {};
export const whenUnauthorized = (fn: () => void) => {
  onUnauthorized = fn;
};

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'omit',
  });
  if (res.status === 401) onUnauthorized();
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const body = (json && typeof json === 'object' ? json : { error: `http_${res.status}` }) as ApiErrorBody;
    throw new ApiError(res.status, body);
  }
  return json as T;
}

/** A file from the API (CSV export): fetched with the token, handed to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const token = currentToken();
  const res = await fetch(`/api/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, credentials: 'omit' });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, { error: `http_${res.status}`, message: 'the export failed' });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const query = (params: Record<string, string | number | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

export interface Plan {
  id: string;
  name: string;
  amount: number;
  currency: string;
  interval: string;
  features: string[];
  /** Where it can be bought (stripe, paystack). */
  providers?: string[];
}
export interface Subscription {
  plan: string;
  status: string;
  provider: string;
  currentPeriodStart?: string;
  currentPeriodEnd?: string;
  cancelAtPeriodEnd: boolean;
  features: string[];
}
export interface Me {
  userId: string;
  email: string;
  operator: boolean;
  subscription: Subscription;
  plans?: Plan[];
}
export interface Payment {
  provider: string;
  providerPaymentId: string;
  kind: string;
  amount: number;
  currency: string;
  status: string;
  plan: string;
  paidAt?: string;
}
export type Outcome = 'executed' | 'rejected' | 'failed' | 'duplicate' | 'accepted';
export interface Signal {
  id: string;
  receivedAt: string;
  symbol: string;
  action: string;
  strategyId: string;
  strategy: string;
  outcome: Outcome | string;
  rejectCode: string;
  rejectRule: string;
  reason: string;
  message: string;
  tradeIds: string[];
  latencyMs?: number;
  traceId?: string;
}
export interface TimelineStep {
  stage: 'received' | 'checked' | 'order' | 'fill' | 'notification' | string;
  at: string;
  ok: boolean;
  detail: string;
}
export interface SignalDetail extends Signal {
  timeline: TimelineStep[];
  traceUrl?: string;
}
export interface Trade {
  id: string;
  signalId: string;
  strategyId: string;
  symbol: string;
  side: string;
  amount: number;
  price: number;
  fee: number;
  feeCurrency: string;
  status: string;
  mode: string;
  realizedPnl: number;
  createdAt: string;
}
export interface Position {
  symbol: string;
  side: string;
  amount: number;
  entryPrice: number;
  mode: string;
  realizedPnl: number;
}
export interface Pnl {
  currency: string;
  daily: { day: string; realizedPnl: number }[];
  cumulative: { day: string; realizedPnl: number }[];
}
export interface Strategy {
  id: string;
  name: string;
  webhookUrl: string;
  messageTemplate: string;
  enabled: boolean;
}
export interface TradingView {
  webhookUrl: string;
  messageTemplate: string;
  strategies: Strategy[];
}
export interface RotatedSecret {
  secret: string;
  signingKey?: string;
  previousValidUntil?: string;
  webhookUrl: string;
  messageTemplate: string;
}
export type ExchangeMode = 'paper' | 'okx-demo' | 'okx';
export interface Exchange {
  exchange: string;
  mode: ExchangeMode;
  apiKeyHint?: string;
  keyStatus: 'not_set' | 'unchecked' | 'ok' | 'rejected';
  checkedAt?: string;
}
export interface ExchangeTest {
  ok: boolean;
  code?: string;
  message?: string;
  balances: { currency: string; total: number; free: number }[];
}
export interface RiskProfile {
  tradingEnabled: boolean;
  allowedSymbols: string[];
  maxOrderNotional?: number | null;
  maxPositionNotional?: number | null;
  maxOpenPositions?: number | null;
  maxOrdersPerMinute?: number | null;
  maxOrdersPerDay?: number | null;
  cooldownSeconds?: number | null;
  dailyLossLimit?: number | null;
  maxLeverage?: number | null;
  sizingMode: string;
  sizingValue: number;
  allowAlertQuantity: boolean;
  closeOppositeFirst: boolean;
  marginMode: string;
}
export interface Preference {
  eventType: string;
  channel: string;
  mode: string;
  isDefault?: boolean;
}
export interface Preferences {
  preferences: Preference[];
  silenceAlertHours?: number;
}
export interface Channels {
  email?: string;
  emailGone?: boolean;
  telegramAvailable?: boolean;
  telegramChats: string[];
  webhookEndpoints: { id: string; url: string; description?: string; enabled?: boolean }[];
}
export interface WebhookEvent {
  eventKey: string;
  provider: string;
  type: string;
  state: string;
  outcome: string;
  userId: string;
  detail: string;
  receivedAt: string;
  finishedAt?: string;
  attempts: number;
  lastError: string;
  traceId: string;
}
export interface WebhookStats {
  windowMinutes: number;
  received: number;
  failed: number;
  failureRate: number;
  backlogAgeSeconds: number;
  deadLetters: number;
  unmatched: number;
}
export interface OpsUser {
  userId: string;
  email: string;
  plan: string;
  status: string;
  createdAt: string;
}
