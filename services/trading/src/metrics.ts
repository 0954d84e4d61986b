import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SubmitResult } from './signal-outcome';

/** Reject codes and OKX codes are ours or OKX's constants; anything else is folded so a sender cannot add series. */
export function codeLabel(code: string | undefined, pattern: RegExp): string {
  if (!code) return 'none';
  return pattern.test(code) ? code : 'other';
}
const REJECT_CODE = /^[a-z][a-z0-9_]{0,47}$/;
/** OKX codes are numbers (sCode, else code); our own failures are snake_case words. */
const OKX_CODE = /^(\d{1,6}|[a-z][a-z_]{0,31})$/;

/** Trading's metrics (served on METRICS_PORT). No user, strategy or symbol in any label. */
export function createTradingMetrics(registry: Registry) {
  const signals = new Counter({
    name: 'trading_signals_total',
    help: 'Signal commands finished, by outcome (executed, accepted, duplicate, rejected, failed) and reject or failure code (none otherwise)',
    labelNames: ['outcome', 'reject_code'] as const,
    registers: [registry],
  });
  const orderSeconds = new Histogram({
    name: 'okx_order_seconds',
    help: 'Time OKX took to place one order (leverage, create, the look-up of its fill), by mode and outcome',
    labelNames: ['mode', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20],
    registers: [registry],
  });
  const okxErrors = new Counter({
    name: 'okx_errors_total',
    help: 'OKX requests that failed, by operation (order, check, balance, positions) and code (OKX sCode/code, exchange_unavailable, or other)',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  return {
    signal(r: SubmitResult | undefined): void {
      // undefined: the command's execution threw (logged where it happened).
      const outcome = r?.status ?? 'failed';
      const coded = outcome === 'rejected' || outcome === 'failed';
      signals.inc({ outcome, reject_code: coded ? codeLabel(r?.rejectCode, REJECT_CODE) : 'none' });
    },
    order(mode: string, outcome: string, seconds: number): void {
      orderSeconds.observe({ mode, outcome }, seconds);
    },
    okxError(operation: string, code: string | undefined): void {
      okxErrors.inc({ operation, code: codeLabel(code, OKX_CODE) === 'none' ? 'other' : codeLabel(code, OKX_CODE) });
    },
    /**
     * trading_open_positions{mode}: read from the book when Prometheus scrapes (one grouped
     * count over the positions collection), so it is never stale and costs nothing between scrapes.
     */
    openPositions(count: () => Promise<Array<{ mode: string; count: number }>>): void {
      new Gauge({
        name: 'trading_open_positions',
        help: 'Positions in the book with a non-zero amount, by mode (paper, okx-demo, okx)',
        labelNames: ['mode'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          for (const { mode, count: n } of await count()) this.set({ mode }, n);
        },
      });
    },
  };
}

export type TradingMetrics = ReturnType<typeof createTradingMetrics>;
