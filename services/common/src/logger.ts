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
 * log line can be found from a Jaeger trace and back. Written asynchronously: stdout is a
 * pipe under a supervisor or container runtime, where Node writes synchronously, one
 * system call a line (a tenth of the gateway's CPU per webhook); pino flushes what is
 * buffered when the process exits.
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
  }, pino.destination({ dest: 1, sync: false }));
}
