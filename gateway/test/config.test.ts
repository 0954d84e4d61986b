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
});
