import * as path from 'node:path';
import { prefixedSink, spawnChild, type Child, type LineSink } from './child';
import { jaegerUrls, pickJaegerPorts, startJaeger, type JaegerPorts, type RunningJaeger } from './jaeger';
import { findTool, TOOLS_BIN } from './tools';

/** How long a cold build of Jaeger took on two shared cores: 4 to 10 minutes, downloads included. */
const COLD_BUILD_HINT = 'several minutes when nothing is cached';
const PROGRESS_EVERY_MS = 20_000;

/**
 * Where `npm start` sends traces. `external`: OTEL_EXPORTER_OTLP_ENDPOINT was set, the
 * stack runs no Jaeger. `running`: Jaeger from the tools cache. `building`: not built yet;
 * the services already export to `otlpEndpoint` (the OTel exporter drops batches while
 * nothing listens there) and Jaeger starts listening on it once its build is done.
 */
export type LocalTracing =
  | { kind: 'external'; otlpEndpoint: string; stop(): Promise<void> }
  | { kind: 'running' | 'building'; otlpEndpoint: string; queryUrl: string; stop(): Promise<void> };

export interface LocalTracingOptions {
  /** Where scripts/install-tools.sh is. */
  repoRoot: string;
  env?: NodeJS.ProcessEnv;
  /** The tools cache the binary is looked for and built into (TOOLS_BIN). */
  toolsBin?: string;
  /** Unset: Jaeger's documented ports where free, else free ones. */
  ports?: JaegerPorts;
  sink?: LineSink;
}

export async function startLocalTracing(opts: LocalTracingOptions): Promise<LocalTracing> {
  const env = opts.env ?? process.env;
  const sink = opts.sink ?? prefixedSink;
  const toolsBin = opts.toolsBin ?? TOOLS_BIN;
  const external = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (external) return { kind: 'external', otlpEndpoint: external, stop: async () => undefined };

  const ports = opts.ports ?? (await pickJaegerPorts());
  const { otlpEndpoint, queryUrl } = jaegerUrls(ports);
  const bin = findTool('jaeger', env.JAEGER_BIN, toolsBin);
  if (bin) {
    const jaeger = await startJaeger({ bin, ports, sink });
    return {
      kind: 'running',
      otlpEndpoint,
      queryUrl,
      async stop() {
        await jaeger.child.stop();
      },
    };
  }

  // Not built: build it beside the running stack instead of making the first `npm start`
  // wait minutes for a tool that only shows traces.
  let jaeger: RunningJaeger | undefined;
  let stopped = false;
  const build = buildInBackground(opts.repoRoot, toolsBin, sink);
  const joined = build.done.then(async (ok) => {
    if (stopped) return;
    if (!ok) {
      sink('jaeger', 'the build failed (see the lines above); the stack runs on without Jaeger: `npm run tools -- jaeger` retries it', 'stderr');
      return;
    }
    const built = findTool('jaeger', env.JAEGER_BIN, toolsBin);
    if (!built) return;
    jaeger = await startJaeger({ bin: built, ports, sink });
    if (stopped) {
      // Ctrl-C came while it was starting.
      await jaeger.child.stop();
      return;
    }
    sink('jaeger', `built and started: traces from now on at ${queryUrl} (spans of the stack's first minutes were dropped)`, 'stdout');
  }).catch((err: Error) => sink('jaeger', `could not start: ${err.message}; the stack runs on without it`, 'stderr'));
  return {
    kind: 'building',
    otlpEndpoint,
    queryUrl,
    async stop() {
      stopped = true;
      await build.stop();
      await joined;
      await jaeger?.child.stop();
    },
  };
}

/**
 * `scripts/install-tools.sh jaeger` at low CPU priority (the services come first), its
 * output prefixed `jaeger-build`, and a line every 20 s: `go build` itself prints nothing
 * for minutes.
 */
function buildInBackground(repoRoot: string, toolsBin: string, sink: LineSink): { done: Promise<boolean>; stop(): Promise<void> } {
  const started = Date.now();
  sink('jaeger-build', `Jaeger is not in the tools cache: building it in the background (${COLD_BUILD_HINT}); the stack does not wait`, 'stdout');
  const child: Child = spawnChild('jaeger-build', 'bash', [path.join(repoRoot, 'scripts', 'install-tools.sh'), 'jaeger'], {
    env: { ...process.env, TOOLS_BIN: toolsBin },
    sink,
    nice: 10,
  });
  const ticker = setInterval(() => {
    sink('jaeger-build', `still building (${Math.round((Date.now() - started) / 1000)} s)`, 'stdout');
  }, PROGRESS_EVERY_MS);
  ticker.unref();
  const done = child.exited.then((code) => {
    clearInterval(ticker);
    return code === 0;
  });
  return {
    done,
    async stop() {
      clearInterval(ticker);
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
      // The whole process group (bash, go, the compilers): SIGTERM to bash alone would
      // leave `go build` running after the stack is gone.
      try {
        process.kill(-child.proc.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await child.exited;
    },
  };
}
