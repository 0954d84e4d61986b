import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnChild, type Child, type LineSink } from '../child';
import { findTool, freePort, waitFor } from '../tools';

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface PrometheusServer {
  url: string;
  child: Child;
  /** GET /api/v1/alerts: the alerts pending or firing now. */
  alerts(): Promise<PrometheusAlert[]>;
  /** An instant query's result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Waits until an alert with these labels fires. */
  waitForFiring(labels: Record<string, string>, timeoutMs?: number): Promise<PrometheusAlert>;
  stop(): Promise<void>;
}

/**
 * The alert rules as a test runs them: the same file and expressions, with every `for:`
 * shortened so an alert fires within seconds instead of minutes (the durations themselves
 * are checked by promtool's unit tests, alerts.test.yml).
 */
export function rulesForTest(rules: string, forDuration = '2s'): string {
  return rules.replace(/^(\s+for: )\d+[smh]$/gm, `$1${forDuration}`);
}

/**
 * A real Prometheus (Debian's `prometheus` package: scripts/install-tools.sh) in its own
 * temp dir on a free port, scraping `targets` (job name → host:port serving /metrics) and
 * evaluating `rules` every second.
 */
export async function startPrometheus(opts: { targets: Record<string, string>; rulesFile: string; sink?: LineSink }): Promise<PrometheusServer> {
  const bin = findTool('prometheus', process.env.PROMETHEUS_BIN);
  if (!bin) throw new Error('prometheus is not installed: bash scripts/install-tools.sh prometheus (Debian: apt-get install prometheus)');
  const dir = mkdtempSync(path.join(tmpdir(), 'tbot-prometheus-'));
  writeFileSync(path.join(dir, 'rules.yml'), rulesForTest(readFileSync(opts.rulesFile, 'utf8')));
  const jobs = Object.entries(opts.targets).map(
    ([job, target]) => `  - job_name: ${job}\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['${target}']`,
  );
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\nscrape_configs:\n${jobs.join('\n')}\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild(
    'prometheus',
    bin,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { sink: opts.sink },
  );
  const stop = async () => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('prometheus to be ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, 200);
  } catch (err) {
    await stop();
    throw err;
  }
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; data: T };
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${JSON.stringify(body)}`);
    return body.data;
  };
  const alerts = async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts;
  const matches = (a: PrometheusAlert, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => a.labels[k] === v);
  return {
    url,
    child,
    alerts,
    query: async (expr) => (await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    async waitForFiring(labels, timeoutMs = 30_000) {
      let found: PrometheusAlert | undefined;
      await waitFor(`alert ${JSON.stringify(labels)} to fire`, async () => {
        found = (await alerts()).find((a) => a.state === 'firing' && matches(a, labels));
        return found !== undefined;
      }, timeoutMs, 500);
      return found!;
    },
    stop,
  };
}
