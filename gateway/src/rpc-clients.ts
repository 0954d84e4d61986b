import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, clientTracingInterceptor, Health, NotificationsService, serviceTokenInterceptor, type ServiceTokens, TradingService } from '@tbot/common';

export interface RpcClients {
  billing: Client<typeof BillingService>;
  billingHealth: Client<typeof Health>;
  trading: Client<typeof TradingService>;
  tradingHealth: Client<typeof Health>;
  notifications: Client<typeof NotificationsService>;
}

/**
 * gRPC over HTTP/2 to the internal services; every call gets the deadline unless it sets its
 * own, and a service token naming the gateway (health calls too: they need none, it costs nothing).
 */
export function createRpcClients(urls: { billing: string; trading: string; notifications: string }, timeoutMs: number, tokens: ServiceTokens): RpcClients {
  const transport = (baseUrl: string, audience: 'billing' | 'trading' | 'notifications') =>
    createGrpcTransport({
      baseUrl,
      defaultTimeoutMs: timeoutMs,
      interceptors: [clientTracingInterceptor, serviceTokenInterceptor(tokens, audience)],
    });
  const billing = transport(urls.billing, 'billing');
  const trading = transport(urls.trading, 'trading');
  return {
    billing: createClient(BillingService, billing),
    billingHealth: createClient(Health, billing),
    trading: createClient(TradingService, trading),
    tradingHealth: createClient(Health, trading),
    notifications: createClient(NotificationsService, transport(urls.notifications, 'notifications')),
  };
}
