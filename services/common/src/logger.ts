import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values must never reach a log line. */
const REDACT = [
  'secret',
  'password',
  'token',
  'apiKey',
  'authorization',
  '*.secret',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["x-paystack-signature"]',
  'req.headers.cookie',
  'headers.authorization',
];

/**
 * JSON logs on stdout, one object a line, carrying the active trace and span ids so a
 * log line can be found from a Jaeger trace and back.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx && trace.isSpanContextValid(ctx)
        ? { trace_id: ctx.traceId, span_id: ctx.spanId }
        : {};
    },
  });
}
