/**
 * `npm start`: the whole system on one machine. FerretDB is started when MONGODB_URI is
 * unset, nats-server when nothing answers at NATS_URL; then billing, trading, the gateway
 * and notifications.
 * Ctrl-C stops everything.
 */
import * as path from 'node:path';
import { localSecret, startStack, REPO_ROOT } from './stack';

const SERVICE_TOKEN_FILE = 'service-token.secret';

async function main() {
  const dataDir = process.env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.data');
  // Kept in the data directory (not one per run) so `npm run webhooks` and grpcurl can sign
  // their calls with it: SERVICE_TOKEN_SECRET=$(cat .data/service-token.secret).
  const serviceTokenSecret = process.env.SERVICE_TOKEN_SECRET || localSecret(dataDir, SERVICE_TOKEN_FILE);
  const stack = await startStack({
    dataDir,
    env: { SERVICE_TOKEN_SECRET: serviceTokenSecret },
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
  });
  process.stdout.write(
    `\nready: gateway ${stack.gatewayUrl} (readiness and metrics on ${stack.gatewayOpsUrl}/readyz, /metrics), billing ${stack.billingUrl}, trading ${stack.tradingUrl}, notifications ${stack.notificationsUrl}, ` +
      `MongoDB ${stack.mongoUri}, NATS ${stack.natsUrl}\n` +
      (process.env.SERVICE_TOKEN_SECRET ? '' : `internal calls are signed with the secret in ${path.join(dataDir, SERVICE_TOKEN_FILE)}\n`) +
      `Ctrl-C stops everything.\n\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
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

main().catch((err: Error) => {
  process.stderr.write(`could not start: ${err.message}\n`);
  process.exit(1);
});
