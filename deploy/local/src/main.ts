/**
 * `npm start`: the whole system on one machine. FerretDB is started when MONGODB_URI is
 * unset, nats-server when nothing answers at NATS_URL, Jaeger when OTEL_EXPORTER_OTLP_ENDPOINT
 * is unset (built in the background on first use); then billing, trading, the gateway and
 * notifications, all sending their traces to that Jaeger (or to the endpoint given).
 * Ctrl-C stops everything.
 */
import * as path from 'node:path';
import { startLocalTracing, type LocalTracing } from './local-jaeger';
import { localSecret, startStack, REPO_ROOT } from './stack';

const SERVICE_TOKEN_FILE = 'service-token.secret';

async function main() {
  const dataDir = process.env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.data');
  // Kept in the data directory (not one per run) so `npm run webhooks` and grpcurl can sign
  // their calls with it: SERVICE_TOKEN_SECRET=$(cat .data/service-token.secret).
  const serviceTokenSecret = process.env.SERVICE_TOKEN_SECRET || localSecret(dataDir, SERVICE_TOKEN_FILE);
  // Before the services, so their first spans (start-up, the first requests) have somewhere to go.
  const tracing = await startLocalTracing({ repoRoot: REPO_ROOT });
  const stack = await startStack({
    dataDir,
    env: { SERVICE_TOKEN_SECRET: serviceTokenSecret, OTEL_EXPORTER_OTLP_ENDPOINT: tracing.otlpEndpoint },
    gatewayPort: Number(process.env.PORT ?? 8080),
    gatewayOpsPort: Number(process.env.OPS_PORT || 9465),
    // The documented ports, so grpcurl and `npm run webhooks` find billing and trading
    // (the stack binds them to 127.0.0.1; tests take free ports instead).
    billingPort: Number(process.env.BILLING_PORT || 50051),
    tradingPort: Number(process.env.TRADING_PORT || 50052),
    tradingMetricsPort: Number(process.env.TRADING_METRICS_PORT || 9467),
    notifications: true,
    notificationsPort: Number(process.env.NOTIFICATIONS_PORT || 50053),
    notificationsMetricsPort: Number(process.env.NOTIFICATIONS_METRICS_PORT || 9466),
  }).catch(async (err: unknown) => {
    await tracing.stop();
    throw err;
  });
  process.stdout.write(
    `\nready: gateway ${stack.gatewayUrl} (readiness and metrics on ${stack.gatewayOpsUrl}/readyz, /metrics), billing ${stack.billingUrl}, trading ${stack.tradingUrl}, notifications ${stack.notificationsUrl}, ` +
      `MongoDB ${stack.mongoUri}, NATS ${stack.natsUrl}\n` +
      (process.env.SERVICE_TOKEN_SECRET ? '' : `internal calls are signed with the secret in ${path.join(dataDir, SERVICE_TOKEN_FILE)}\n`) +
      `${describeTracing(tracing)}\n` +
      `Ctrl-C stops everything.\n\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    // After the services: their last spans are flushed at shutdown.
    await tracing.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // If a service dies on its own, take the rest down too rather than run half a system.
  for (const [name, child] of stack.children) {
    void child.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`${name} exited (code ${code}); stopping the stack\n`);
        void stop();
      }
    });
  }
}

function describeTracing(t: LocalTracing): string {
  switch (t.kind) {
    case 'external':
      return `traces: sent to ${t.otlpEndpoint} (OTEL_EXPORTER_OTLP_ENDPOINT; no Jaeger started)`;
    case 'running':
      return `traces: Jaeger ${t.queryUrl} (query API: ${t.queryUrl}/api/traces/<trace_id>; OTLP in at ${t.otlpEndpoint})`;
    case 'building':
      return `traces: Jaeger is being built (jaeger-build lines); it will answer at ${t.queryUrl} and take spans at ${t.otlpEndpoint} once built`;
  }
}

main().catch((err: Error) => {
  process.stderr.write(`could not start: ${err.message}\n`);
  process.exit(1);
});
