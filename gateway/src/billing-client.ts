import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, clientTracingInterceptor, Health } from '@tbot/common';

export interface BillingClients {
  billing: Client<typeof BillingService>;
  health: Client<typeof Health>;
}

/** gRPC over HTTP/2 to billing; every call gets the deadline unless it sets its own. */
export function createBillingClients(baseUrl: string, timeoutMs: number): BillingClients {
  const transport = createGrpcTransport({
    baseUrl,
    defaultTimeoutMs: timeoutMs,
    interceptors: [clientTracingInterceptor],
  });
  return { billing: createClient(BillingService, transport), health: createClient(Health, transport) };
}
