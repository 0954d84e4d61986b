import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values must never reach a log line. */
const SECRET_FIELDS = ['secret', 'password', 'token', 'apiKey', 'apiSecret', 'passphrase', 'authorization', 'masterKey', 'signingKey'];
const SECRET_HEADERS = ['authorization', 'cookie', 'stripe-signature', 'x-paystack-signature', 'x-signature'];
const REDACT = [
  // At the top and up to three levels down (pino's redaction has no recursive wildcard).
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`]),
];

/**
 * JSON logs on stdout, one object a line, carrying the active trace and span ids so a
 * log line can be found from a Jaeger trace and back. Written asynchronously: stdout is a
 * pipe under a supervisor or container runtime, where Node writes synchronously, one
 * system call a line (a tenth of the gateway's CPU per webhook); pino flushes what is
 * buffered when the process exits.
 */
export function createLogger(service: string, level = 'info', destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
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
  }, destination);
}
