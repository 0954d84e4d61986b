/**
 * `npm start`'s demo user (never when NODE_ENV=production): a user on plan pro, in paper
 * mode, with a few TradingView alerts already sent through the gateway (paper trades, one
 * closed with a profit, and one signal refused by the risk profile), and a short-lived
 * sign-in link to the dashboard. So a newcomer sees the dashboard with data within a minute.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, serviceTokenInterceptor, ServiceTokens, TradingService } from '@tbot/common';

export interface DemoStack {
  dataDir: string;
  gatewayUrl: string;
  billingUrl: string;
  tradingUrl: string;
  serviceTokenSecret: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * An HS256 user token as the gateway's verifier takes it (gateway/src/token-verifier.ts):
 * sub = user id, roles for the operator view, aud/iss when the gateway requires them.
 */
export function signUserToken(secret: string, claims: { sub: string } & Record<string, unknown>, ttlSeconds: number, now = Math.floor(Date.now() / 1000)): string {
  const body = { ...claims, iat: now, exp: now + ttlSeconds };
  const unsigned = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(body))}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The dashboard link that signs in with `token` (in the fragment: never sent to a server). */
export const signInUrl = (gatewayUrl: string, token: string) => `${gatewayUrl}/app/#token=${token}`;

const DEMO_FILE = 'demo-user.json';
const DEMO_PLAN_PRICE = 'price_pro_monthly';

/**
 * The demo user: made once per data directory (kept in dataDir/demo-user.json), so a second
 * `npm start` signs in to the same account with its history.
 */
export async function ensureDemoUser(stack: DemoStack): Promise<{ userId: string; created: boolean }> {
  const tokens = new ServiceTokens('gateway', stack.serviceTokenSecret.split(',')[0]!.trim());
  const billing = createClient(BillingService, createGrpcTransport({ baseUrl: stack.billingUrl, interceptors: [serviceTokenInterceptor(tokens, 'billing')] }));
  const trading = createClient(TradingService, createGrpcTransport({ baseUrl: stack.tradingUrl, interceptors: [serviceTokenInterceptor(tokens, 'trading')] }));
  const file = path.join(stack.dataDir, DEMO_FILE);
  if (existsSync(file)) {
    const { userId } = JSON.parse(readFileSync(file, 'utf8')) as { userId: string };
    const known = await billing.getUser({ userId }).then(
      () => true,
      () => false,
    );
    if (known) return { userId, created: false };
  }
  const unique = `${Date.now()}${randomBytes(3).toString('hex')}`;
  const user = await billing.createUser({ email: `demo-${unique}@example.com` });
  // Plan pro the way a Stripe subscription applies it (billing's own event path), without
  // needing Stripe: the local stack has no Stripe account.
  const event = {
    id: `evt_demo_${unique}`,
    type: 'customer.subscription.created',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `sub_demo_${unique}`,
        status: 'active',
        current_period_start: Math.floor(Date.now() / 1000),
        current_period_end: Math.floor(Date.now() / 1000) + 30 * 86400,
        metadata: { user_id: user.id },
        items: { data: [{ price: { id: DEMO_PLAN_PRICE } }] },
      },
    },
  };
  await billing.applyStripeEvent({ payload: Buffer.from(JSON.stringify(event)) });
  const { secret } = await trading.rotateWebhookSecret({ userId: user.id });
  // Paper mode (the default: no exchange keys). The ETH swap alert is refused: 100 USDT buys
  // less than one of its contracts (0.1 ETH).
  await trading.setRiskProfile({
    userId: user.id,
    profile: { tradingEnabled: true, allowedSymbols: ['BTC/USDT', 'ETH/USDT'], sizingMode: 'fixed_quote', sizingValue: 100, closeOppositeFirst: true, maxOrderNotional: 10_000 },
  });
  const alerts = [
    { symbol: 'BTCUSDT', action: 'buy', price: '60000' },
    { symbol: 'ETHUSDT', action: 'buy', price: '3000' },
    { symbol: 'BTCUSDT', action: 'sell', price: '61500', market_position: 'flat' },
    { symbol: 'ETHUSDT.P', action: 'buy', price: '3000' },
  ];
  for (const [i, a] of alerts.entries()) {
    // Whatever the answer (the ETH swap alert is refused; without a reachable OKX, paper orders
    // fail for want of its market list), the signal is recorded: that is what the dashboard shows.
    await fetch(`${stack.gatewayUrl}/api/tradingview/webhook?user_id=${encodeURIComponent(user.id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...a, strategy: 'demo', id: `demo-${unique}-${i}`, timestamp: new Date().toISOString(), secret }),
    });
  }
  writeFileSync(file, `${JSON.stringify({ userId: user.id })}\n`, { mode: 0o600 });
  return { userId: user.id, created: true };
}
