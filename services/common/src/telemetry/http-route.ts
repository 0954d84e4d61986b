import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Names the HTTP server span of the current request after its route (`http.route`, span
 * name `POST /api/…`), as Express's instrumentation does for routes served by Express:
 * for handlers served on node:http directly. The HTTP instrumentation applies it when the
 * request ends.
 */
export function setHttpRoute(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}
