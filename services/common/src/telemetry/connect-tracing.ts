import type { Interceptor } from '@connectrpc/connect';
import { ConnectError } from '@connectrpc/connect';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

// The http instrumentation does not cover http2, so Connect servers and clients get no
// spans or context propagation of their own: these interceptors provide both, with the
// RPC semantic conventions (rpc.system=grpc, span name "package.Service/Method").

const tracer = trace.getTracer('@tbot/common/connect');

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

const headerSetter: TextMapSetter<Headers> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

function grpcCode(err: unknown): number {
  return err instanceof ConnectError ? err.code : 2; // 2 = UNKNOWN
}

/** SERVER span for every call, continuing the caller's trace from `traceparent`. */
export const serverTracingInterceptor: Interceptor = (next) => async (req) => {
  // Probes call the health service every few seconds; tracing them only adds noise.
  if (req.service.typeName === 'grpc.health.v1.Health') return next(req);
  const parent = propagation.extract(context.active(), req.header, headerGetter);
  const span = tracer.startSpan(
    `${req.service.typeName}/${req.method.name}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': req.service.typeName,
        'rpc.method': req.method.name,
      },
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      const res = await next(req);
      span.setAttribute('rpc.grpc.status_code', 0);
      return res;
    } catch (err) {
      const code = grpcCode(err);
      span.setAttribute('rpc.grpc.status_code', code);
      // Client mistakes (invalid argument, not found, ...) are not server errors.
      if (![3, 5, 6, 7, 9, 16].includes(code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      }
      throw err;
    } finally {
      span.end();
    }
  });
};

/** CLIENT span for every outgoing call, with `traceparent` injected into the request. */
export const clientTracingInterceptor: Interceptor = (next) => async (req) => {
  if (req.service.typeName === 'grpc.health.v1.Health') return next(req);
  const span = tracer.startSpan(`${req.service.typeName}/${req.method.name}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'rpc.system': 'grpc',
      'rpc.service': req.service.typeName,
      'rpc.method': req.method.name,
    },
  });
  const ctx = trace.setSpan(context.active(), span);
  propagation.inject(ctx, req.header, headerSetter);
  try {
    const res = await context.with(ctx, () => next(req));
    span.setAttribute('rpc.grpc.status_code', 0);
    return res;
  } catch (err) {
    const code = grpcCode(err);
    span.setAttribute('rpc.grpc.status_code', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
};
