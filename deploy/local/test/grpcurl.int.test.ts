import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { signServiceToken } from '@tbot/common';
import { findTool, REPO_ROOT } from '../src';
import { startBillingHarness, type BillingHarness } from '../src/testing';

// What the README tells an operator to type: grpcurl and `buf curl` against billing and
// trading, with a service token and no .proto files (server reflection). Real processes,
// real tools: a missing or broken reflection service makes `list` fail here.

const GRPCURL = findTool('grpcurl', process.env.GRPCURL_BIN);
const BUF = path.join(REPO_ROOT, 'node_modules', '.bin', 'buf');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('operator tools through server reflection', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const hostPort = (url: string) => new URL(url).host;
  const bearer = (audience: 'billing' | 'trading') =>
    `authorization: Bearer ${signServiceToken({ secret: h.stack.serviceTokenSecret, issuer: 'operator', audience })}`;

  // CI builds grpcurl (npm test's pretest runs scripts/install-tools.sh); elsewhere it may be missing.
  const withGrpcurl = GRPCURL || process.env.CI ? describe : describe.skip;
  if (!GRPCURL) console.warn('grpcurl not found: run `npm run tools` (scripts/install-tools.sh grpcurl)');

  withGrpcurl('grpcurl', () => {
    const grpcurl = (...args: string[]) => {
      if (!GRPCURL) throw new Error('grpcurl is not installed: run `npm run tools`');
      return run(GRPCURL, ['-plaintext', ...args]);
    };

    it.each([
      ['billing', () => h.stack.billingUrl, 'billing.v1.BillingService'],
      ['trading', () => h.stack.tradingUrl, 'trading.v1.TradingService'],
    ] as const)('lists and describes %s without .proto files', async (service, url, typeName) => {
      const list = await grpcurl('-H', bearer(service), hostPort(url()), 'list');
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(list.stdout.trim().split('\n')).toEqual(expect.arrayContaining([typeName, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']));

      const describeOut = await grpcurl('-H', bearer(service), hostPort(url()), 'describe', typeName);
      expect(describeOut.code).toBe(0);
      expect(describeOut.stdout).toContain(`service ${typeName.split('.').pop()} {`);
      expect(describeOut.stdout).toMatch(/rpc \w+ \( \.\w+\.v1\.\w+ \) returns \( \.\w+\.v1\.\w+ \);/);

      const message = await grpcurl('-H', bearer(service), hostPort(url()), 'describe', `${typeName.split('.').slice(0, 2).join('.')}.${service === 'billing' ? 'CreateUserRequest' : 'GetRiskProfileRequest'}`);
      expect(message.stdout).toMatch(/message \w+Request \{/);
    });

    it('calls billing and then trading, as the README shows', async () => {
      const email = `grpcurl-${Date.now()}@example.com`;
      const created = await grpcurl('-H', bearer('billing'), '-d', JSON.stringify({ email }), hostPort(h.stack.billingUrl), 'billing.v1.BillingService/CreateUser');
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const user = JSON.parse(created.stdout) as { id: string; email: string };
      expect(user.email).toBe(email);

      const profile = await grpcurl('-H', bearer('trading'), '-d', JSON.stringify({ user_id: user.id }), hostPort(h.stack.tradingUrl), 'trading.v1.TradingService/GetRiskProfile');
      expect(profile.code).toBe(0);
      expect(JSON.parse(profile.stdout)).toEqual(expect.any(Object));
    });

    it('needs the service token for reflection too, and health stays open', async () => {
      const list = await grpcurl(hostPort(h.stack.billingUrl), 'list');
      expect(list.code).not.toBe(0);
      expect(list.stderr).toMatch(/Unauthenticated/);
      expect(list.stderr).toContain('service token required');

      // A token for another audience: reflection is refused like any call.
      const wrong = await grpcurl('-H', bearer('trading'), hostPort(h.stack.billingUrl), 'list');
      expect(wrong.stderr).toMatch(/Unauthenticated/);

      // Health stays open (Kubernetes probes send no token); without a token reflection is
      // closed, so grpcurl gets the schema from the vendored .proto, as a probe tool would.
      const health = await grpcurl('-import-path', path.join(REPO_ROOT, 'proto'), '-proto', 'grpc/health/v1/health.proto', hostPort(h.stack.billingUrl), 'grpc.health.v1.Health/Check');
      expect(health).toMatchObject({ code: 0 });
      expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });
    });
  });

  describe('buf curl --reflect', () => {
    it.each([
      ['billing', () => h.stack.billingUrl, 'billing.v1.BillingService'],
      ['trading', () => h.stack.tradingUrl, 'trading.v1.TradingService'],
    ] as const)('lists %s and calls its health check over gRPC', async (service, url, typeName) => {
      // --reflect-header '*': buf sends -H headers on reflection calls only when told to.
      const common = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '-H', bearer(service), '--reflect-header', '*'];
      const list = await run(BUF, [...common, '--list-services', url()]);
      expect(list).toMatchObject({ code: 0 });
      expect(list.stdout.trim().split('\n')).toContain(typeName);

      const check = await run(BUF, [...common, '-d', '{}', `${url()}/grpc.health.v1.Health/Check`]);
      expect(check).toMatchObject({ code: 0 });
      expect(JSON.parse(check.stdout)).toEqual({ status: 'SERVING' });
    });

    it('calls a method with a JSON body it encodes from the reflected schema', async () => {
      const common = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '-H', bearer('billing'), '--reflect-header', '*'];
      const email = `buf-curl-${Date.now()}@example.com`;
      const created = await run(BUF, [...common, '-d', JSON.stringify({ email }), `${h.stack.billingUrl}/billing.v1.BillingService/CreateUser`]);
      expect(created).toMatchObject({ code: 0 });
      expect(JSON.parse(created.stdout)).toMatchObject({ email });
    });
  });
});
