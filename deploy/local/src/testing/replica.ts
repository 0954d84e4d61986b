import { spawnChild, type Child } from '../child';
import { waitForServing } from '../stack';
import { freePort } from '../tools';
import type { BillingHarness } from './billing-harness';

const PORT_VARIABLE = { trading: 'TRADING_PORT', notifications: 'NOTIFICATIONS_PORT', billing: 'BILLING_PORT' } as const;

/**
 * Another replica of one of the harness's services: the same command, database, NATS and
 * secrets, its own RPC and metrics ports, its log lines in the harness's. Resolves once it
 * answers its health check.
 */
export async function startReplica(
  h: BillingHarness,
  name: keyof typeof PORT_VARIABLE,
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: Child; url: string }> {
  const cmd = h.stack.serviceCommand(name);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild(`${name}-2`, cmd.command, cmd.args, {
    env: { ...cmd.env, [PORT_VARIABLE[name]]: String(port), METRICS_PORT: String(await freePort()), ...env },
    sink: (n, line) => h.logs.push(`${n} | ${line}`),
  });
  await waitForServing(`${name}-2`, () => child, url);
  return { child, url };
}
