/**
 * `npm start`: the whole system on one machine. FerretDB is started when MONGODB_URI is
 * unset, nats-server when nothing answers at NATS_URL, Jaeger when OTEL_EXPORTER_OTLP_ENDPOINT
 * is unset (built in the background on first use); then billing, trading, the gateway and
 * notifications, all sending their traces to that Jaeger (or to the endpoint given).
 * Ctrl-C stops everything.
 */
import * as path from 'node:path';
import { ensureDemoUser, signInUrl, signUserToken } from './demo-user';
import { startLocalTracing, type LocalTracing } from './local-jaeger';
import { localSecret, startStack, REPO_ROOT } from './stack';

const SERVICE_TOKEN_FILE = 'service-token.secret';
/** How long the printed dashboard sign-in link works. */
const SIGN_IN_TTL_SECONDS = 2 * 3600;

async function main() {
  const dataDir = process.env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.data');
  // Kept in the data directory (not one per run) so `npm run webhooks` and grpcurl can sign
  // their calls with it: SERVICE_TOKEN_SECRET=$(cat .data/service-token.secret).
  const serviceTokenSecret = process.env.SERVICE_TOKEN_SECRET || localSecret(dataDir, SERVICE_TOKEN_FILE);
  // The gateway's key for user tokens (HS256), kept like the service-token secret: the
  // sign-in link printed below is signed with it.
  const authJwtSecret = process.env.AUTH_JWT_SECRET || localSecret(dataDir, 'auth-jwt.secret');
  // Before the services, so their first spans (start-up, the first requests) have somewhere to go.
  const tracing = await startLocalTracing({ repoRoot: REPO_ROOT });
  const stack = await startStack({
    dataDir,
    env: { SERVICE_TOKEN_SECRET: serviceTokenSecret, AUTH_JWT_SECRET: authJwtSecret, OTEL_EXPORTER_OTLP_ENDPOINT: tracing.otlpEndpoint },
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
  const signIn = await demoSignIn(stack, authJwtSecret);
  process.stdout.write(
    `\nready: gateway ${stack.gatewayUrl} (readiness and metrics on ${stack.gatewayOpsUrl}/readyz, /metrics), billing ${stack.billingUrl}, trading ${stack.tradingUrl}, notifications ${stack.notificationsUrl}, ` +
      `MongoDB ${stack.mongoUri}, NATS ${stack.natsUrl}\n` +
      (process.env.SERVICE_TOKEN_SECRET ? '' : `internal calls are signed with the secret in ${path.join(dataDir, SERVICE_TOKEN_FILE)}\n`) +
      `${describeTracing(tracing)}\n` +
      signIn +
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

/**
 * Outside production: the demo user (demo-user.ts) and a link that signs in as it, with the
 * operator role too (this machine's user runs the whole stack). A failure is printed, not fatal.
 */
async function demoSignIn(stack: Awaited<ReturnType<typeof startStack>>, authJwtSecret: string): Promise<string> {
  if (process.env.NODE_ENV === 'production') return '';
  try {
    const { userId, created } = await ensureDemoUser(stack);
    const claims = {
      sub: userId,
      [process.env.AUTH_ROLES_CLAIM || 'roles']: ['operator'],
      ...(process.env.AUTH_JWT_AUDIENCE ? { aud: process.env.AUTH_JWT_AUDIENCE } : {}),
      ...(process.env.AUTH_JWT_ISSUER ? { iss: process.env.AUTH_JWT_ISSUER } : {}),
    };
    const token = signUserToken(authJwtSecret, claims, SIGN_IN_TTL_SECONDS);
    return `dashboard: ${signInUrl(stack.gatewayUrl, token)}\n  (demo user ${userId}${created ? ', just made with a few paper trades' : ''}; the link works for ${SIGN_IN_TTL_SECONDS / 3600} hours)\n`;
  } catch (err) {
    return `dashboard: ${stack.gatewayUrl}/app/ (the demo user could not be made: ${(err as Error).message})\n`;
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
