import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, NotificationsService, serviceTokenInterceptor, type ServiceName, ServiceTokens, TradingService } from '@tbot/common';
import type { Stack } from '../stack';

type StackSecret = Pick<Stack, 'serviceTokenSecret'>;

/**
 * Tests and benchmarks call billing and trading as the gateway does (caller `gateway`
 * unless told), signing with the stack's SERVICE_TOKEN_SECRET.
 */
export function stackServiceTokens(stack: StackSecret, caller: ServiceName = 'gateway'): ServiceTokens {
  return new ServiceTokens(caller, stack.serviceTokenSecret.split(',')[0]!.trim());
}

interface ClientOptions {
  timeoutMs?: number;
  caller?: ServiceName;
  baseUrl?: string;
}

/** A client of one of the stack's services, signing its calls for that service. */
function stackClient<S extends typeof BillingService | typeof TradingService | typeof NotificationsService>(
  service: S,
  audience: 'billing' | 'trading' | 'notifications',
  stack: StackSecret,
  baseUrl: string,
  opts: ClientOptions,
): Client<S> {
  return createClient(
    service,
    createGrpcTransport({
      baseUrl: opts.baseUrl ?? baseUrl,
      defaultTimeoutMs: opts.timeoutMs,
      interceptors: [serviceTokenInterceptor(stackServiceTokens(stack, opts.caller), audience)],
    }),
  );
}

export function stackBillingClient(stack: StackSecret & Pick<Stack, 'billingUrl'>, opts: ClientOptions = {}): Client<typeof BillingService> {
  return stackClient(BillingService, 'billing', stack, stack.billingUrl, opts);
}

export function stackTradingClient(stack: StackSecret & Pick<Stack, 'tradingUrl'>, opts: ClientOptions = {}): Client<typeof TradingService> {
  return stackClient(TradingService, 'trading', stack, stack.tradingUrl, opts);
}

export function stackNotificationsClient(stack: StackSecret & Pick<Stack, 'notificationsUrl'>, opts: ClientOptions = {}): Client<typeof NotificationsService> {
  return stackClient(NotificationsService, 'notifications', stack, stack.notificationsUrl, opts);
}
