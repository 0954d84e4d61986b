import ccxt, { type Exchange, type Market } from 'ccxt';

export type ExchangeMode = 'paper' | 'okx-demo' | 'okx';

/** Market types the service trades; loading only these keeps start-up to two requests. */
export const MARKET_TYPES = ['spot', 'swap'];

export interface OkxClientOptions {
  apiKey?: string;
  secret?: string;
  password?: string;
  demo?: boolean;
  apiBase?: string;
  timeoutMs: number;
}

/**
 * A ccxt okx instance. `apiBase` replaces OKX's host (tests use a fake OKX); demo mode is
 * ccxt's sandbox mode, which for OKX keeps the host and adds `x-simulated-trading: 1`.
 */
export function createOkxClient(o: OkxClientOptions): Exchange {
  const exchange = new ccxt.okx({
    apiKey: o.apiKey,
    secret: o.secret,
    password: o.password,
    timeout: o.timeoutMs,
    enableRateLimit: true,
    options: {
      fetchMarkets: { types: MARKET_TYPES },
      // Currencies are not needed to trade, and would cost a private call per client.
      fetchCurrencies: false,
    },
  });
  // Without this ccxt would still call /asset/currencies on loadMarkets with credentials.
  exchange.has['fetchCurrencies'] = false;
  if (o.demo) exchange.setSandboxMode(true);
  if (o.apiBase) {
    const rest = o.apiBase.replace(/\/$/, '');
    exchange.urls['api'] = { rest };
    exchange.urls['test'] = { rest };
  }
  return exchange;
}

export type { Exchange, Market };
