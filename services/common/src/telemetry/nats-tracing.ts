import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

// NATS has no OpenTelemetry instrumentation: producers inject the trace context into the
// message headers inside a PRODUCER span, consumers extract it into a CONSUMER span
// (messaging semantic conventions: "<subject> publish" / "<subject> process").

const tracer = trace.getTracer('@tbot/common/nats');

export function startPublishSpan(subject: string): { span: Span; ctx: Context; headers: MsgHdrs } {
  const span = tracer.startSpan(`${subject} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'nats',
      'messaging.destination.name': subject,
      'messaging.operation.type': 'publish',
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  const headers = natsHeaders();
  propagation.inject(ctx, headers, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
  return { span, ctx, headers };
}

/** Runs `handler` inside a CONSUMER span that continues the publisher's trace. */
export async function withConsumeSpan<T>(
  subject: string,
  headers: MsgHdrs | undefined,
  handler: () => Promise<T>,
): Promise<T> {
  const parent = headers
    ? propagation.extract(context.active(), headers, {
        keys: (carrier) => carrier.keys(),
        // nats.js answers "" for a missing key; OTel expects undefined.
        get: (carrier, key) => carrier.get(key) || undefined,
      })
    : context.active();
  const span = tracer.startSpan(
    `${subject} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'messaging.operation.type': 'process',
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), handler);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
