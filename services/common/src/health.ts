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
 * service name and each listed service name report all dependencies together; each
 * dependency can also be asked for by its own name ("mongodb", "nats"), and "liveness"
 * answers SERVING whenever the process answers at all.
 */
export function registerHealth(
  router: ConnectRouter,
  serviceNames: string[],
  dependencies: Record<string, ReadinessCheck>,
): void {
  const overall = new Set(['', ...serviceNames]);
  const status = async (service: string) => {
    // For liveness probes: answering at all is the proof; dependencies are readiness's job.
    if (service === 'liveness') return ServingStatus.SERVING;
    const checks = overall.has(service)
      ? Object.values(dependencies)
      : dependencies[service]
        ? [dependencies[service]]
        : undefined;
    if (!checks) return ServingStatus.SERVICE_UNKNOWN;
    const results = await Promise.all(checks.map((c) => c().catch(() => false)));
    return results.every(Boolean) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
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
