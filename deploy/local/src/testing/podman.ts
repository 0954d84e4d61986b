import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { REPO_ROOT } from '../stack';

/** The image scripts/container-image.sh builds (podman names a local image localhost/...). */
export const CONTAINER_IMAGE = process.env.CONTAINER_IMAGE || 'localhost/tradingbot:ci';

/**
 * podman needs this machine's settings (ulimits, runtime) for every command, not only the
 * build: the file scripts/container-image.sh uses, unless the caller set their own.
 */
function podmanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: process.env.CONTAINERS_CONF || path.join(REPO_ROOT, 'deploy', 'local', 'podman', 'containers.conf'),
    ...extra,
  };
}

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podman args…`; never throws for a non-zero exit (the caller reads `code`). */
export function podman(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<PodmanResult> {
  return new Promise((resolve) => {
    execFile('podman', args, { env: podmanEnv(env), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() || (err && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

/** Why containers cannot be run here (podman or the image missing), or undefined when they can. */
export function containersUnavailable(image = CONTAINER_IMAGE): string | undefined {
  const version = spawnSync('podman', ['--version'], { env: podmanEnv(), encoding: 'utf8' });
  if (version.error || version.status !== 0) return 'podman is not installed (bash scripts/container-image.sh installs it and builds the image)';
  const exists = spawnSync('podman', ['image', 'exists', image], { env: podmanEnv(), encoding: 'utf8' });
  if (exists.status !== 0) return `the image ${image} is not built (bash scripts/container-image.sh)`;
  return undefined;
}

export interface ContainerSpec {
  /** A readable part of the container's name; a random suffix keeps concurrent runs apart. */
  name: string;
  image?: string;
  /** The image's CMD (the service's entry point). */
  command: string[];
  /**
   * The container's whole environment besides the image's own: nothing of the test's
   * process.env leaks in. Values reach podman through its environment (`-e NAME`), not its
   * command line, so secrets do not show in `ps`.
   */
  env: Record<string, string>;
}

export interface Container {
  name: string;
  /** `podman exec` in the running container. */
  exec(args: string[]): Promise<PodmanResult>;
  /** Whether the container is still running (false once its process exited). */
  running(): Promise<boolean>;
  logs(): Promise<string>;
  /** Stops and deletes the container (and its anonymous volumes); safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Starts a service container as production runs it: non-root (the image's USER), root
 * filesystem read-only with a tmpfs /tmp, on the host's network so it reaches the test's
 * FerretDB and NATS on loopback and the test reaches its ports.
 */
export async function runContainer(spec: ContainerSpec): Promise<Container> {
  const name = `tbot-test-${spec.name}-${randomBytes(4).toString('hex')}`;
  const envArgs = Object.keys(spec.env).flatMap((k) => ['-e', k]);
  const started = await podman(
    ['run', '-d', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp', ...envArgs, spec.image ?? CONTAINER_IMAGE, ...spec.command],
    spec.env,
  );
  const container: Container = {
    name,
    exec: (args) => podman(['exec', name, ...args]),
    running: async () => (await podman(['inspect', '--format', '{{.State.Running}}', name])).stdout.trim() === 'true',
    logs: async () => {
      const r = await podman(['logs', name]);
      return r.stdout + r.stderr;
    },
    remove: async () => {
      await podman(['rm', '--force', '--volumes', '--time', '5', name]);
    },
  };
  if (started.code !== 0) {
    await container.remove();
    throw new Error(`podman run ${spec.name} failed (${started.code}): ${started.stderr.trim()}`);
  }
  return container;
}
