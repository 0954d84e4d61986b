import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, ServingStatus } from '@tbot/common';
import { spawnChild, type Child, type LineSink } from './child';
import { startFerretDB } from './ferretdb';
import { ensureNats } from './nats-server';
import { freePort, waitFor } from './tools';

/** The repository root, from deploy/local/dist. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const TELEMETRY = path.join(REPO_ROOT, 'services', 'common', 'dist', 'telemetry', 'register.js');

/**
 * Node's arguments before a service's entry point (the Dockerfile's ENTRYPOINT has the same):
 * OpenTelemetry preloaded, and the young generation capped at Node 20's size. Node 24's V8
 * sizes it from the heap limit (up to 64 MiB per semi-space on this machine, 16 on Node 20),
 * which costs each service about 100 MiB of RSS for nothing at these allocation rates.
 */
export const SERVICE_NODE_ARGS = ['--max-semi-space-size=16', '--require', TELEMETRY] as const;

export const SERVICES = {
  billing: path.join(REPO_ROOT, 'services', 'billing', 'dist', 'main.js'),
  trading: path.join(REPO_ROOT, 'services', 'trading', 'dist', 'main.js'),
  gateway: path.join(REPO_ROOT, 'gateway', 'dist', 'main.js'),
  notifications: path.join(REPO_ROOT, 'services', 'notifications', 'dist', 'main.js'),
} as const;
export type ServiceName = keyof typeof SERVICES;

export interface StackOptions {
  /** Where FerretDB and nats-server keep data when the stack starts them. */
  dataDir: string;
  /** Environment for every service, on top of process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-service additions. */
  serviceEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  gatewayPort?: number;
  /** The gateway's OPS_PORT (/readyz, /metrics); a free port when unset. */
  gatewayOpsPort?: number;
  billingPort?: number;
  tradingPort?: number;
  billingMetricsPort?: number;
  /** Trading's METRICS_PORT (/metrics); a free port when unset. */
  tradingMetricsPort?: number;
  /**
   * Start the notifications service too (`npm start` does; a test asks for it). Off by
   * default: most tests do not need it, and the machine's cores are shared.
   */
  notifications?: boolean;
  notificationsPort?: number;
  notificationsMetricsPort?: number;
  sink?: LineSink;
}

export interface Stack {
  dataDir: string;
  gatewayUrl: string;
  /** The gateway's ops port: /healthz, /readyz and /metrics (not served on gatewayUrl). */
  gatewayOpsUrl: string;
  billingUrl: string;
  tradingUrl: string;
  /** Billing's plain-HTTP /metrics. */
  billingMetricsUrl: string;
  tradingMetricsUrl: string;
  /** Where notifications listens (or would: it runs only with `notifications: true`). */
  notificationsUrl: string;
  notificationsMetricsUrl: string;
  mongoUri: string;
  natsUrl: string;
  /** SERVICE_TOKEN_SECRET every service of this stack was given (tests sign their calls with it). */
  serviceTokenSecret: string;
  children: Map<string, Child>;
  startService(name: ServiceName): Promise<Child>;
  /** How the stack runs a service (command, arguments, environment), to run another copy some other way. */
  serviceCommand(name: ServiceName): ServiceCommand;
  stop(): Promise<void>;
}

export interface ServiceCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Starts FerretDB (unless MONGODB_URI is given), NATS (unless one answers at NATS_URL),
 * billing and the gateway, and waits until the gateway is ready.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  // One secret per stack unless given: internal calls need one, and nothing outside the
  // stack (tests aside, which read it from the Stack) has any business calling in.
  const serviceTokenSecret = opts.env?.SERVICE_TOKEN_SECRET || process.env.SERVICE_TOKEN_SECRET || randomBytes(32).toString('hex');
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.env, SERVICE_TOKEN_SECRET: serviceTokenSecret };
  const children = new Map<string, Child>();
  const stopAll = async () => {
    // Services first, so they can close their connections to the stores cleanly.
    for (const name of ['notifications', 'gateway', 'trading', 'billing', 'nats', 'ferretdb']) {
      await children.get(name)?.stop();
    }
  };
  try {
    let mongoUri = baseEnv.MONGODB_URI || undefined;
    if (!mongoUri) {
      const ferret = await startFerretDB({
        dataDir: path.join(opts.dataDir, 'ferretdb'),
        database: baseEnv.FERRETDB_DATABASE,
        postgresqlUrl: baseEnv.FERRETDB_POSTGRESQL_URL,
        sink: opts.sink,
      });
      children.set('ferretdb', ferret.child);
      mongoUri = ferret.uri;
    }
    const natsUrl = baseEnv.NATS_URL ?? 'nats://127.0.0.1:4222';
    const nats = await ensureNats(natsUrl, path.join(opts.dataDir, 'nats'), opts.sink);
    if (nats) children.set('nats', nats);

    const billingPort = opts.billingPort ?? (await freePort());
    const billingUrl = `http://127.0.0.1:${billingPort}`;
    const tradingPort = opts.tradingPort ?? (await freePort());
    const tradingUrl = `http://127.0.0.1:${tradingPort}`;
    const billingMetricsPort = opts.billingMetricsPort ?? (await freePort());
    const tradingMetricsPort = opts.tradingMetricsPort || (await freePort());
    const resolvedGatewayPort = opts.gatewayPort || (await freePort());
    const gatewayUrl = `http://127.0.0.1:${resolvedGatewayPort}`;
    const gatewayOpsPort = opts.gatewayOpsPort || (await freePort());
    const gatewayOpsUrl = `http://127.0.0.1:${gatewayOpsPort}`;
    const notificationsPort = opts.notificationsPort || (await freePort());
    const notificationsUrl = `http://127.0.0.1:${notificationsPort}`;
    const notificationsMetricsPort = opts.notificationsMetricsPort || (await freePort());
    const envFor: Record<ServiceName, NodeJS.ProcessEnv> = {
      billing: {
        ...baseEnv,
        OTEL_SERVICE_NAME: 'billing',
        MONGODB_URI: mongoUri,
        NATS_URL: natsUrl,
        BILLING_PORT: String(billingPort),
        RPC_HOST: '127.0.0.1',
        METRICS_PORT: String(billingMetricsPort),
        ...opts.serviceEnv?.billing,
      },
      trading: {
        ...baseEnv,
        OTEL_SERVICE_NAME: 'trading',
        MONGODB_URI: mongoUri,
        NATS_URL: natsUrl,
        TRADING_PORT: String(tradingPort),
        RPC_HOST: '127.0.0.1',
        METRICS_PORT: String(tradingMetricsPort),
        BILLING_URL: billingUrl,
        EXCHANGE_KEYS_MASTER_KEY: baseEnv.EXCHANGE_KEYS_MASTER_KEY || localMasterKey(opts.dataDir),
        ...opts.serviceEnv?.trading,
      },
      gateway: {
        ...baseEnv,
        OTEL_SERVICE_NAME: 'gateway',
        NATS_URL: natsUrl,
        PORT: String(resolvedGatewayPort),
        OPS_PORT: String(gatewayOpsPort),
        PUBLIC_BASE_URL: `http://127.0.0.1:${resolvedGatewayPort}`,
        BILLING_URL: billingUrl,
        TRADING_URL: tradingUrl,
        NOTIFICATIONS_URL: notificationsUrl,
        ...opts.serviceEnv?.gateway,
      },
      notifications: {
        ...baseEnv,
        OTEL_SERVICE_NAME: 'notifications',
        MONGODB_URI: mongoUri,
        NATS_URL: natsUrl,
        NOTIFICATIONS_PORT: String(notificationsPort),
        RPC_HOST: '127.0.0.1',
        METRICS_PORT: String(notificationsMetricsPort),
        // The local stack's endpoints (a receiver on this machine) are private addresses.
        WEBHOOK_ALLOW_PRIVATE_TARGETS: baseEnv.WEBHOOK_ALLOW_PRIVATE_TARGETS || 'true',
        NOTIFICATIONS_MASTER_KEY: baseEnv.NOTIFICATIONS_MASTER_KEY || localSecret(opts.dataDir, 'notifications-master.key'),
        ...opts.serviceEnv?.notifications,
      },
    };
    const billingNice = niceValue(baseEnv.LOCAL_BILLING_NICE, DEFAULT_BILLING_NICE);
    const serviceCommand = (name: ServiceName): ServiceCommand => ({
      command: process.execPath,
      args: [...SERVICE_NODE_ARGS, SERVICES[name]],
      env: { ...envFor[name] },
    });
    const startService = async (name: ServiceName) => {
      const { command, args, env } = serviceCommand(name);
      const child = spawnChild(name, command, args, { env, sink: opts.sink, nice: name === 'billing' ? billingNice : undefined });
      children.set(name, child);
      return child;
    };
    await startService('billing');
    await startService('trading');
    await startService('gateway');
    await waitFor('the gateway to be ready (GET /readyz)', async () => {
      for (const name of ['billing', 'trading', 'gateway']) {
        const c = children.get(name);
        if (c && c.proc.exitCode !== null) throw new Error(`${name} exited with code ${c.proc.exitCode} during start-up`);
      }
      try {
        // Ready (webhook intake) is not enough here: wait until every service answers.
        const res = await fetch(`${gatewayOpsUrl}/readyz`);
        const body = (await res.json()) as { checks?: Record<string, string> };
        return res.status === 200 && Object.values(body.checks ?? {}).every((c) => c === 'serving');
      } catch {
        return false;
      }
    }, 60_000, 200);
    if (opts.notifications) {
      // After billing and trading, whose streams it reads; ready once it reads both.
      await startService('notifications');
      await waitForServing('notifications', () => children.get('notifications'), notificationsUrl);
    }
    const billingMetricsUrl = `http://127.0.0.1:${billingMetricsPort}/metrics`;
    return {
      dataDir: opts.dataDir,
      gatewayUrl,
      gatewayOpsUrl,
      billingUrl,
      tradingUrl,
      billingMetricsUrl,
      tradingMetricsUrl: `http://127.0.0.1:${tradingMetricsPort}/metrics`,
      notificationsUrl,
      notificationsMetricsUrl: `http://127.0.0.1:${notificationsMetricsPort}/metrics`,
      mongoUri,
      natsUrl,
      serviceTokenSecret,
      children,
      startService,
      serviceCommand,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Waits until a service's grpc.health.v1 answers SERVING (all its dependencies up). */
export async function waitForServing(name: string, child: () => Child | undefined, url: string, timeoutMs = 60_000): Promise<void> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: url, defaultTimeoutMs: 2000 }));
  await waitFor(`${name} to be serving (grpc.health.v1)`, async () => {
    const c = child();
    if (c && c.proc.exitCode !== null) throw new Error(`${name} exited with code ${c.proc.exitCode} during start-up`);
    try {
      return (await health.check({ service: '' })).status === ServingStatus.SERVING;
    } catch {
      return false;
    }
  }, timeoutMs, 200);
}

/**
 * Billing applies webhooks from the stream in the background; the gateway answers the
 * providers and trading answers TradingView while they wait. When all of them share a few
 * cores, as in the local stack, billing runs at a lower CPU priority so its batches take
 * what the others leave instead of delaying their answers (in Kubernetes each has its own
 * CPU request instead). It loses nothing when the machine is otherwise idle.
 */
const DEFAULT_BILLING_NICE = 10;

function niceValue(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`LOCAL_BILLING_NICE must be an integer from 0 to 19, got ${raw}`);
  return n;
}

/**
 * The local stack's key for exchange credentials, made once and kept beside the data it
 * protects (production passes EXCHANGE_KEYS_MASTER_KEY from a secret store).
 */
function localMasterKey(dataDir: string): string {
  return localSecret(dataDir, 'exchange-keys-master.key');
}

/** 32 random bytes (hex) kept in `dataDir/name`, made on first use, readable by the owner only. */
export function localSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
