import { loadGatewayConfig as load, trustProxySetting } from '../src/config';

/** The variables every gateway needs, plus the ones under test. */
const loadGatewayConfig = (env: NodeJS.ProcessEnv) => load({ SERVICE_TOKEN_SECRET: 'x'.repeat(32), ...env });

describe('gateway configuration', () => {
  it('refuses TRUST_PROXY=true: any client could choose its own address', () => {
    expect(() => loadGatewayConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(() => loadGatewayConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
    expect(() => loadGatewayConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('takes a hop count or a list of addresses and subnets', () => {
    expect(trustProxySetting(loadGatewayConfig({ TRUST_PROXY: '1' }).TRUST_PROXY)).toBe(1);
    expect(trustProxySetting(loadGatewayConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY)).toBe('loopback, 10.0.0.0/8');
    expect(trustProxySetting(loadGatewayConfig({}).TRUST_PROXY)).toBe(false);
  });

  it('puts readiness and metrics on their own port, and syncs rate limits every 250 ms by default', () => {
    const c = loadGatewayConfig({});
    expect({ ops: c.OPS_PORT, sync: c.RATE_LIMIT_SYNC_MS, jwks: c.AUTH_JWKS_URL }).toEqual({ ops: 9465, sync: 250, jwks: undefined });
    expect(loadGatewayConfig({ OPS_PORT: '9100', RATE_LIMIT_SYNC_MS: '100' })).toMatchObject({ OPS_PORT: 9100, RATE_LIMIT_SYNC_MS: 100 });
    expect(() => loadGatewayConfig({ RATE_LIMIT_SYNC_MS: '0' })).toThrow(/RATE_LIMIT_SYNC_MS/);
    expect(() => loadGatewayConfig({ OPS_PORT: '70000' })).toThrow(/OPS_PORT/);
  });

  it('takes AUTH_JWKS_URL only as a URL', () => {
    expect(loadGatewayConfig({ AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' }).AUTH_JWKS_URL).toBe('https://id.example.com/.well-known/jwks.json');
    expect(() => loadGatewayConfig({ AUTH_JWKS_URL: 'not a url' })).toThrow(/AUTH_JWKS_URL/);
  });
});
