import pino, { type Logger } from 'pino';
import { StdoutDestination } from './log-destination';
import { activeSpanIds } from './telemetry/trace-id';

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
 * log line can be found from a Jaeger trace and back. Lines are batched per event-loop turn
 * and never block the process, not even at exit when nobody reads stdout any more
 * (see log-destination.ts).
 */
export function createLogger(service: string, level = 'info', destination: pino.DestinationStream = new StdoutDestination()): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin() {
      const ids = activeSpanIds();
      return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
    },
  }, destination);
}

/**
 * Waits until the log lines written so far have left the process, at most timeoutMs: a
 * reader that does not read must not hold up an exit.
 */
export function flushLogs(logger: Logger, timeoutMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
