import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, serviceTokenInterceptor, type ServiceName, ServiceTokens, TradingService } from '@tbot/common';
import type { Stack } from '../stack';

type StackSecret = Pick<Stack, 'serviceTokenSecret'>;

/**
 * Tests and benchmarks call billing and trading as the gateway does (caller `gateway`
 * unless told), signing with the stack's SERVICE_TOKEN_SECRET.
 */
export function stackServiceTokens(stack: StackSecret, caller: ServiceName = 'gateway'): ServiceTokens {
  return new ServiceTokens(caller, stack.serviceTokenSecret.split(',')[0]!.trim());
}

export function stackBillingClient(
  stack: StackSecret & Pick<Stack, 'billingUrl'>,
  opts: { timeoutMs?: number; caller?: ServiceName; baseUrl?: string } = {},
): Client<typeof BillingService> {
  const tokens = stackServiceTokens(stack, opts.caller);
  return createClient(
    BillingService,
    createGrpcTransport({
      baseUrl: opts.baseUrl ?? stack.billingUrl,
      defaultTimeoutMs: opts.timeoutMs,
      interceptors: [serviceTokenInterceptor(tokens, 'billing')],
    }),
  );
}

export function stackTradingClient(
  stack: StackSecret & Pick<Stack, 'tradingUrl'>,
  opts: { timeoutMs?: number; caller?: ServiceName; baseUrl?: string } = {},
): Client<typeof TradingService> {
  const tokens = stackServiceTokens(stack, opts.caller);
  return createClient(
    TradingService,
    createGrpcTransport({
      baseUrl: opts.baseUrl ?? stack.tradingUrl,
      defaultTimeoutMs: opts.timeoutMs,
      interceptors: [serviceTokenInterceptor(tokens, 'trading')],
    }),
  );
}
