/**
 * A signal's timeline for the dashboard: received → checked → order(s) → fill(s) →
 * notification(s), from the signal record, the trades it placed and the notifications about
 * either. Pure: what happened is read elsewhere.
 */
export type TimelineStage = 'received' | 'checked' | 'order' | 'fill' | 'notification';

export interface TimelineStep {
  stage: TimelineStage;
  at: Date;
  ok: boolean;
  detail: string;
}

export interface TimelineSignal {
  receivedAt: Date;
  decidedAt?: Date;
  status: string;
  symbol: string;
  action: string;
  strategy: string;
  reason: string;
  message: string;
}

export interface TimelineTrade {
  id: string;
  createdAt: Date;
  settledAt?: Date;
  updatedAt: Date;
  status: string;
  side: string;
  amount: number;
  symbol: string;
  price: number;
  mode: string;
  error: string;
}

export interface TimelineDelivery {
  channel: string;
  status: string;
  title: string;
  createdAt: Date;
  /** The last attempt's time, when one was made. */
  lastAttemptAt?: Date;
}

const REFUSED = new Set(['rejected', 'duplicate']);

export function signalTimeline(s: TimelineSignal, trades: readonly TimelineTrade[], deliveries: readonly TimelineDelivery[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const what = [s.action, s.symbol].filter(Boolean).join(' ') || 'alert';
  steps.push({ stage: 'received', at: s.receivedAt, ok: true, detail: s.strategy ? `${what} (${s.strategy})` : what });

  const refusal = s.reason || s.message;
  if (REFUSED.has(s.status)) {
    // Old records have no decision time: the refusal is shown at receipt, where it was made.
    steps.push({ stage: 'checked', at: s.decidedAt ?? s.receivedAt, ok: false, detail: s.status === 'duplicate' ? s.message || 'a repeat of an earlier alert' : refusal });
  } else if (trades.length > 0) {
    // The checks passed just before the first order was recorded.
    steps.push({ stage: 'checked', at: trades[0]!.createdAt, ok: true, detail: 'checks passed' });
  } else if (s.status === 'failed') {
    steps.push({ stage: 'checked', at: s.decidedAt ?? s.receivedAt, ok: false, detail: refusal });
  }

  for (const t of trades) {
    const failed = t.status === 'rejected' || t.status === 'failed';
    const order = `${t.side} ${t.amount} ${t.symbol} (${t.mode})`;
    steps.push({ stage: 'order', at: t.createdAt, ok: !failed, detail: failed ? `${order}: ${t.status}${t.error ? `: ${t.error}` : ''}` : order });
    if (t.status === 'filled') steps.push({ stage: 'fill', at: t.settledAt ?? t.updatedAt, ok: true, detail: `filled at ${t.price}` });
  }

  for (const d of deliveries) {
    steps.push({ stage: 'notification', at: d.lastAttemptAt ?? d.createdAt, ok: d.status === 'delivered', detail: `${d.channel}: ${d.title} (${d.status})` });
  }
  // Stable: steps at the same instant keep the order above.
  return steps.map((step, i) => ({ step, i })).sort((a, b) => a.step.at.getTime() - b.step.at.getTime() || a.i - b.i).map((x) => x.step);
}

/** decidedAt - receivedAt in ms; undefined when the decision time is unknown (old records, still accepted). */
export function latencyMs(receivedAt: Date, decidedAt: Date | undefined): number | undefined {
  return decidedAt ? Math.max(0, decidedAt.getTime() - receivedAt.getTime()) : undefined;
}

/** <JAEGER_UI_URL>/trace/<trace id>, or undefined without either. */
export function traceUrl(jaegerUiUrl: string | undefined, traceId: string): string | undefined {
  if (!jaegerUiUrl || !/^[0-9a-f]{32}$/.test(traceId)) return undefined;
  return `${jaegerUiUrl.replace(/\/+$/, '')}/trace/${traceId}`;
}
