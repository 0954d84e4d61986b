import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { Registry } from 'prom-client';
import { Health, HealthCheckResponse_ServingStatus } from '../src/gen/grpc/health/v1/health_pb';
import { createRpcMetrics, rpcMetricsInterceptor } from '../src/rpc-metrics';

// The interceptor through Connect's own router (no network): what each call leaves in the registry.

async function setup() {
  const registry = new Registry();
  const metrics = createRpcMetrics(registry);
  const transport = createRouterTransport(
    (router) =>
      router.service(Health, {
        check: (req) => {
          if (req.service === 'missing') throw new ConnectError('no such service', Code.NotFound);
          if (req.service === 'broken') throw new Error('boom');
          return { status: HealthCheckResponse_ServingStatus.SERVING };
        },
        // eslint-disable-next-line require-yield
        async *watch() {
          return;
        },
      }),
    { router: { interceptors: [rpcMetricsInterceptor(metrics)] } },
  );
  const values = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
  return { client: createClient(Health, transport), values };
}

describe('rpcMetricsInterceptor', () => {
  it('counts calls by service, method and code, and times them', async () => {
    const { client, values } = await setup();
    await client.check({ service: '' });
    await client.check({ service: '' });
    await expect(client.check({ service: 'missing' })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(client.check({ service: 'broken' })).rejects.toMatchObject({ code: Code.Internal });

    const requests = (await values('rpc_server_requests_total')).map((v) => ({ ...v.labels, n: v.value }));
    expect(requests).toEqual(
      expect.arrayContaining([
        { service: 'grpc.health.v1.Health', method: 'Check', code: 'OK', n: 2 },
        { service: 'grpc.health.v1.Health', method: 'Check', code: 'NotFound', n: 1 },
        { service: 'grpc.health.v1.Health', method: 'Check', code: 'Internal', n: 1 },
      ]),
    );
    expect(requests).toHaveLength(3);
    const count = (await values('rpc_server_duration_seconds')).find((v) => (v as { metricName?: string }).metricName === 'rpc_server_duration_seconds_count');
    expect(count).toMatchObject({ labels: { service: 'grpc.health.v1.Health', method: 'Check' }, value: 4 });
  });

  it('puts nothing from the request in a label', async () => {
    const { client, values } = await setup();
    await client.check({ service: 'user_123' });
    const labels = (await values('rpc_server_requests_total')).flatMap((v) => Object.values(v.labels));
    expect(labels).not.toContain('user_123');
  });
});
