import { mkdirSync } from 'node:fs';
import { spawnChild, type Child, type LineSink } from './child';
import { canConnect, findTool, waitFor } from './tools';

function hostPort(natsUrl: string): { host: string; port: number } {
  const first = natsUrl.split(',')[0] ?? natsUrl;
  const u = new URL(first.includes('://') ? first : `nats://${first}`);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 4222) };
}

/**
 * Uses the NATS at natsUrl when something answers there; otherwise starts `nats-server -js`
 * on that address. Returns the child it started, if any.
 */
export async function ensureNats(
  natsUrl: string,
  storeDir: string,
  sink?: LineSink,
): Promise<Child | undefined> {
  const { host, port } = hostPort(natsUrl);
  if (await canConnect(host, port)) return undefined;
  const bin = findTool('nats-server', process.env.NATS_SERVER_BIN);
  if (!bin) {
    throw new Error(
      `nothing answers at NATS_URL=${natsUrl} and nats-server is not installed: ` +
        'install it (Debian: `apt-get install nats-server`; or `go install github.com/nats-io/nats-server/v2@latest`) ' +
        'or point NATS_URL at a running NATS with JetStream',
    );
  }
  mkdirSync(storeDir, { recursive: true });
  const child = spawnChild('nats', bin, ['-js', '-a', host, '-p', String(port), '-sd', storeDir], {
    sink,
  });
  await waitFor('nats-server to listen', () => canConnect(host, port));
  return child;
}
