import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, clientTracingInterceptor, Health, TradingService } from '@tbot/common';

export interface RpcClients {
  billing: Client<typeof BillingService>;
  billingHealth: Client<typeof Health>;
  trading: Client<typeof TradingService>;
  tradingHealth: Client<typeof Health>;
}

/** gRPC over HTTP/2 to the internal services; every call gets the deadline unless it sets its own. */
export function createRpcClients(urls: { billing: string; trading: string }, timeoutMs: number): RpcClients {
  const transport = (baseUrl: string) =>
    createGrpcTransport({ baseUrl, defaultTimeoutMs: timeoutMs, interceptors: [clientTracingInterceptor] });
  const billing = transport(urls.billing);
  const trading = transport(urls.trading);
  return {
    billing: createClient(BillingService, billing),
    billingHealth: createClient(Health, billing),
    trading: createClient(TradingService, trading),
    tradingHealth: createClient(Health, trading),
  };
}
