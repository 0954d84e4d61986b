import { trace } from '@opentelemetry/api';

/**
 * The active span's trace and span ids, or undefined when there is none (tracing off, or
 * outside any span). One reading for the logger's fields and for records that name their trace.
 */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : undefined;
}
