import * as http2 from 'node:http2';
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Logger } from './logger';
import { rpcMetricsInterceptor, type RpcMetrics } from './rpc-metrics';
import { serverTracingInterceptor } from './telemetry/connect-tracing';

/** Largest request message an RPC server reads. */
export const RPC_READ_MAX_BYTES = 2 * 1024 * 1024;

export interface RpcServer {
  port: number;
  /** Stops accepting, lets in-flight calls finish (up to timeoutMs), then closes. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Connect over cleartext HTTP/2, so gRPC, gRPC-Web and Connect clients all work.
 * TLS is the mesh's or ingress's job inside the cluster.
 */
export async function startRpcServer(opts: {
  port: number;
  host?: string;
  routes: (router: ConnectRouter) => void;
  interceptors?: Interceptor[];
  /** RED metrics of every call (createRpcMetrics), counted before the service token is checked so refusals show too. */
  metrics?: RpcMetrics;
  logger: Logger;
}): Promise<RpcServer> {
  const shutdown = new AbortController();
  const server = http2.createServer(
    connectNodeAdapter({
      routes: opts.routes,
      interceptors: [
        serverTracingInterceptor,
        ...(opts.metrics ? [rpcMetricsInterceptor(opts.metrics)] : []),
        errorLogging(opts.logger),
        ...(opts.interceptors ?? []),
      ],
      shutdownSignal: shutdown.signal,
      // No request of ours is near this; a bigger one is refused (ResourceExhausted) before it is read whole.
      readMaxBytes: RPC_READ_MAX_BYTES,
    }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.logger.info({ port }, 'RPC server listening (gRPC, gRPC-Web, Connect over h2c)');
  return {
    port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        // GOAWAY tells clients to open no new streams here; open streams may finish.
        for (const s of sessions) s.close();
        const timer = setTimeout(() => {
          shutdown.abort();
          for (const s of sessions) s.destroy();
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Codes that mean the caller asked for something wrong, not that we failed. */
const CLIENT_CODES = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.Canceled,
]);

/** Logs server-side failures with the trace id; the caller gets the code and message only. */
function errorLogging(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const ce = ConnectError.from(err);
      const entry = { rpc: `${req.service.typeName}/${req.method.name}`, code: Code[ce.code] };
      if (CLIENT_CODES.has(ce.code)) logger.info({ ...entry, reason: ce.rawMessage }, 'rpc refused');
      else logger.error({ ...entry, err }, 'rpc failed');
      throw err;
    }
  };
}
