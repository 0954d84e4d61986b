import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from './gen/grpc/health/v1/health_pb.js';

export { ServingStatus };

/** Answers whether the process can do its work (its dependencies are reachable). */
export type ReadinessCheck = () => Promise<boolean>;

/**
 * grpc.health.v1 for Kubernetes `grpc:` probes and the gateway's /readyz. The empty
 * service name and each listed service name report the same overall state.
 */
export function registerHealth(
  router: ConnectRouter,
  serviceNames: string[],
  ready: ReadinessCheck,
): void {
  const known = new Set(['', ...serviceNames]);
  const status = async (service: string) => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return (await ready()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const impl: ServiceImpl<typeof Health> = {
    async check(req) {
      const s = await status(req.service);
      if (s === ServingStatus.SERVICE_UNKNOWN) {
        throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      }
      return create(HealthCheckResponseSchema, { status: s });
    },
    async *watch(req, ctx) {
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const s = await status(req.service);
        if (s !== last) {
          last = s;
          yield create(HealthCheckResponseSchema, { status: s });
        }
        await new Promise((r) => setTimeout(r, 5000));
      }
    },
  };
  router.service(Health, impl);
}
