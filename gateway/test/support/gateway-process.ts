import { randomBytes } from 'node:crypto';
import { freePort, SERVICE_NODE_ARGS, SERVICES, spawnChild, type Child } from '@tbot/local-stack';
import { until } from './until';

export interface GatewayProcess {
  /** The public port. */
  url: string;
  /** The ops port (/readyz, /metrics). */
  ops: string;
  child: Child;
}

/**
 * One gateway process on a NATS, without billing or trading (their URLs lead nowhere): for
 * what the gateway decides before calling them (rate limits, tokens). Ready once /readyz
 * answers 200 (it needs only NATS).
 */
export async function startGatewayProcess(name: string, natsUrl: string, env: NodeJS.ProcessEnv, logs: string[]): Promise<GatewayProcess> {
  const port = await freePort();
  const opsPort = await freePort();
  const child = spawnChild(name, process.execPath, [...SERVICE_NODE_ARGS, SERVICES.gateway], {
    env: {
      ...process.env,
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'info',
      NATS_URL: natsUrl,
      PORT: String(port),
      OPS_PORT: String(opsPort),
      SERVICE_TOKEN_SECRET: randomBytes(32).toString('hex'),
      BILLING_URL: 'http://127.0.0.1:1',
      TRADING_URL: 'http://127.0.0.1:1',
      ...env,
    },
    sink: (n, line) => logs.push(`${n} | ${line}`),
  });
  const g = { url: `http://127.0.0.1:${port}`, ops: `http://127.0.0.1:${opsPort}`, child };
  await until(`${name} ready`, async () => {
    if (child.proc.exitCode !== null) throw new Error(`${name} exited:\n${logs.filter((l) => l.startsWith(name)).slice(-10).join('\n')}`);
    const res = await fetch(`${g.ops}/readyz`).catch(() => undefined);
    return res?.status === 200 ? true : undefined;
  });
  return g;
}
