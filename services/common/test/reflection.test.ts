import { create, createFileRegistry, fromBinary, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { BillingService } from '../src/gen/billing/v1/billing_pb';
import { Health } from '../src/gen/grpc/health/v1/health_pb';
import * as v1 from '../src/gen/grpc/reflection/v1/reflection_pb';
import * as v1alpha from '../src/gen/grpc/reflection/v1alpha/reflection_pb';
import { registerReflection } from '../src/reflection';

// The reflection service through Connect's own router (no network): what grpcurl and
// `buf curl` ask, in the order they ask it.

type Req = v1.ServerReflectionRequest['messageRequest'];

function reflect(services: DescService[], version: typeof v1 | typeof v1alpha = v1) {
  const transport = createRouterTransport((router) => registerReflection(router, services));
  const client = createClient(version.ServerReflection as unknown as typeof v1.ServerReflection, transport);
  return async (...requests: Req[]) => {
    async function* input() {
      for (const messageRequest of requests) yield create(v1.ServerReflectionRequestSchema, { messageRequest });
    }
    const out: v1.ServerReflectionResponse[] = [];
    for await (const res of client.serverReflectionInfo(input())) out.push(res);
    return out;
  };
}

const fileNames = (res: v1.ServerReflectionResponse) =>
  res.messageResponse.case === 'fileDescriptorResponse'
    ? res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
    : [];

describe('server reflection', () => {
  it('lists the served services, health and reflection itself', async () => {
    const [res] = await reflect([BillingService, Health])({ case: 'listServices', value: '' });
    expect(res!.messageResponse.case).toBe('listServicesResponse');
    const names = res!.messageResponse.case === 'listServicesResponse' ? res!.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual([
      'billing.v1.BillingService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ]);
  });

  it('answers a symbol with its file and every file it imports, enough to rebuild the service', async () => {
    const [bySymbol, byMethod, byMessage] = await reflect([BillingService, Health])(
      { case: 'fileContainingSymbol', value: 'billing.v1.BillingService' },
      { case: 'fileContainingSymbol', value: 'billing.v1.BillingService.CreateUser' },
      { case: 'fileContainingSymbol', value: 'billing.v1.CreateUserRequest' },
    );
    const names = fileNames(bySymbol!);
    expect(names[0]).toBe('billing/v1/billing.proto');
    expect(fileNames(byMethod!)).toEqual(names);
    expect(fileNames(byMessage!)).toEqual(names);
    // A client builds a registry from what it got: the service must resolve, imports included
    // (protobuf-es wants imports first; grpcurl takes any order).
    const set = create(FileDescriptorSetSchema, {
      file: bySymbol!.messageResponse.case === 'fileDescriptorResponse'
        ? bySymbol!.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)).reverse()
        : [],
    });
    const registry = createFileRegistry(set);
    expect(registry.getService('billing.v1.BillingService')?.methods.map((m) => m.name)).toContain('CreateUser');
  });

  it('answers a file by name', async () => {
    const [res] = await reflect([BillingService, Health])({ case: 'fileByFilename', value: 'grpc/health/v1/health.proto' });
    expect(fileNames(res!)).toEqual(['grpc/health/v1/health.proto']);
  });

  it('says NOT_FOUND for what it does not serve, and keeps the stream open for the next question', async () => {
    const [unknown, extension, next] = await reflect([Health])(
      { case: 'fileContainingSymbol', value: 'billing.v1.BillingService' },
      { case: 'fileContainingExtension', value: create(v1.ExtensionRequestSchema, { containingType: 'grpc.health.v1.HealthCheckRequest', extensionNumber: 100 }) },
      { case: 'fileContainingSymbol', value: 'grpc.health.v1.Health' },
    );
    for (const res of [unknown!, extension!]) {
      expect(res.messageResponse.case).toBe('errorResponse');
      expect(res.messageResponse.value).toMatchObject({ errorCode: 5 });
    }
    expect(fileNames(next!)).toEqual(['grpc/health/v1/health.proto']);
  });

  it('answers extension numbers of a known type with none (our protos declare no extensions)', async () => {
    const [res] = await reflect([Health])({ case: 'allExtensionNumbersOfType', value: 'grpc.health.v1.HealthCheckRequest' });
    expect(res!.messageResponse).toMatchObject({ case: 'allExtensionNumbersResponse', value: { baseTypeName: 'grpc.health.v1.HealthCheckRequest', extensionNumber: [] } });
  });

  it('answers v1alpha (what older grpcurl asks) the same as v1', async () => {
    const ask = (version: typeof v1 | typeof v1alpha) =>
      reflect([BillingService, Health], version)({ case: 'fileContainingSymbol', value: 'billing.v1.BillingService' });
    const [alpha] = await ask(v1alpha);
    const [stable] = await ask(v1);
    expect(fileNames(alpha!)).toEqual(fileNames(stable!));
    expect(fileNames(alpha!).length).toBeGreaterThan(0);
  });
});
