import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * RED metrics of a Connect server: every call counted by service, method and code, and
 * timed. Labels are the proto's names and the status code only (a bounded set): never a
 * caller, user or request field.
 */
export function createRpcMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'rpc_server_requests_total',
      help: 'RPCs handled, by service, method and status code (OK or the Connect code name)',
      labelNames: ['service', 'method', 'code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'rpc_server_duration_seconds',
      help: 'Time to handle one RPC (for a server stream: until its response begins), by service and method',
      labelNames: ['service', 'method'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type RpcMetrics = ReturnType<typeof createRpcMetrics>;

/** Counts and times every call it wraps; the error still goes to the caller unchanged. */
export function rpcMetricsInterceptor(metrics: RpcMetrics): Interceptor {
  return (next) => async (req) => {
    const labels = { service: req.service.typeName, method: req.method.name };
    const stop = metrics.duration.startTimer(labels);
    try {
      const res = await next(req);
      metrics.requests.inc({ ...labels, code: 'OK' });
      return res;
    } catch (err) {
      // Connect answers an error that is not a ConnectError as Internal: count what the caller sees.
      metrics.requests.inc({ ...labels, code: Code[ConnectError.from(err, Code.Internal).code] ?? 'Unknown' });
      throw err;
    } finally {
      stop();
    }
  };
}
