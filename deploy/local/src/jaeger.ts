import * as path from 'node:path';
import { spawnChild, type Child, type LineSink } from './child';
import { freePort, isPortFree, waitFor } from './tools';

/**
 * The configuration Jaeger runs with here: OTLP in, memory storage, query API; every
 * address from the environment (see the file for why not the built-in all-in-one).
 */
export const JAEGER_CONFIG = path.resolve(__dirname, '..', 'jaeger', 'local.yaml');

export interface JaegerPorts {
  otlpGrpc: number;
  otlpHttp: number;
  queryGrpc: number;
  queryHttp: number;
}

/** Jaeger's documented ports: what the README's URLs and other tools' defaults assume. */
export const DEFAULT_JAEGER_PORTS: JaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, queryGrpc: 16685, queryHttp: 16686 };

/**
 * Each of `preferred`'s ports if it is free now, else a free one: `npm start` keeps the
 * documented ports when it can and still starts when another Jaeger or collector holds them.
 */
export async function pickJaegerPorts(preferred: JaegerPorts = DEFAULT_JAEGER_PORTS): Promise<JaegerPorts> {
  const pick = async (port: number) => ((await isPortFree(port)) ? port : freePort());
  return {
    otlpGrpc: await pick(preferred.otlpGrpc),
    otlpHttp: await pick(preferred.otlpHttp),
    queryGrpc: await pick(preferred.queryGrpc),
    queryHttp: await pick(preferred.queryHttp),
  };
}

/** Where services send spans (OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP) and where traces are read. */
export function jaegerUrls(ports: JaegerPorts): { otlpEndpoint: string; queryUrl: string } {
  return { otlpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`, queryUrl: `http://127.0.0.1:${ports.queryHttp}` };
}

export interface RunningJaeger {
  child: Child;
  otlpEndpoint: string;
  queryUrl: string;
}

/**
 * Starts Jaeger (`bin`: the tools cache's build) on 127.0.0.1 and waits until both its OTLP
 * receiver and its query API answer.
 */
export async function startJaeger(opts: { bin: string; ports: JaegerPorts; sink?: LineSink; timeoutMs?: number }): Promise<RunningJaeger> {
  const { ports } = opts;
  const at = (port: number) => `127.0.0.1:${port}`;
  const child = spawnChild('jaeger', opts.bin, ['--config', JAEGER_CONFIG], {
    env: {
      ...process.env,
      JAEGER_OTLP_GRPC_ENDPOINT: at(ports.otlpGrpc),
      JAEGER_OTLP_HTTP_ENDPOINT: at(ports.otlpHttp),
      JAEGER_QUERY_GRPC_ENDPOINT: at(ports.queryGrpc),
      JAEGER_QUERY_HTTP_ENDPOINT: at(ports.queryHttp),
    },
    sink: opts.sink,
  });
  const urls = jaegerUrls(ports);
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  try {
    await waitFor('Jaeger to answer (query API and OTLP receiver)', async () => {
      if (exited) throw new Error('Jaeger exited during start-up (see its log lines)');
      return (await answers(`${urls.queryUrl}/api/services`)) && (await answers(`${urls.otlpEndpoint}/v1/traces`, 'POST'));
    }, opts.timeoutMs ?? 30_000, 100);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, ...urls };
}

/** Any HTTP answer counts (OTLP answers an empty POST 400): the server is listening. */
async function answers(url: string, method = 'GET'): Promise<boolean> {
  try {
    await fetch(url, { method, signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
