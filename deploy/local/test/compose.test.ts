import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTool } from '../src/tools';

const ROOT = path.resolve(__dirname, '../../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

/** The variables docker-compose.yml requires (`${VAR:?…}`); made-up values, only interpolated. */
const REQUIRED_ENV = {
  SERVICE_TOKEN_SECRET: 'a'.repeat(64),
  NATS_GATEWAY_PASSWORD: 'gateway-password',
  NATS_BILLING_PASSWORD: 'billing-password',
  NATS_TRADING_PASSWORD: 'trading-password',
  NATS_NOTIFICATIONS_PASSWORD: 'notifications-password',
};

/**
 * docker-compose.yml as Docker Compose v2 itself reads it (built into the tools cache by
 * scripts/install-tools.sh; `config` needs no Docker daemon): the compose schema, the
 * interpolation of required variables, references between services.
 */
describe('docker-compose.yml, checked by Docker Compose', () => {
  const bin = findTool('docker-compose', process.env.DOCKER_COMPOSE_BIN);
  if (!bin) {
    const why = 'docker-compose not installed (bash scripts/install-tools.sh docker-compose)';
    // .ci/run sets COMPOSE_REQUIRED: there install-tools.sh has just built it.
    if (process.env.COMPOSE_REQUIRED) {
      it('finds docker-compose', () => {
        throw new Error(`${why}; COMPOSE_REQUIRED is set`);
      });
      return;
    }
    it.skip(`${why}; skipped`, () => undefined);
    process.stderr.write(`NOTICE: ${why}; the docker-compose.yml check is skipped\n`);
    return;
  }

  /** Only the variables given (plus PATH and HOME): neither the host's nor a developer's .env values leak in. */
  const compose = (file: string, args: string[], env: Record<string, string> = REQUIRED_ENV) => {
    const r = spawnSync(bin, ['--project-directory', ROOT, '--env-file', '/dev/null', '-f', file, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env },
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** A copy of docker-compose.yml with `edit` applied, in a temp dir (paths still resolve against the repository). */
  const withCopy = <T>(edit: (yaml: string) => string, use: (file: string) => T): T => {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
    try {
      const original = readFileSync(COMPOSE_FILE, 'utf8');
      const edited = edit(original);
      expect(edited).not.toBe(original);
      const file = path.join(dir, 'docker-compose.yml');
      writeFileSync(file, edited);
      return use(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('accepts docker-compose.yml with the required variables set', () => {
    const r = compose(COMPOSE_FILE, ['config', '--quiet']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('renders the services and Jaeger v2 with its OTLP receivers and UI', () => {
    const r = compose(COMPOSE_FILE, ['config', '--format', 'json']);
    expect(r.status).toBe(0);
    const config = JSON.parse(r.stdout) as {
      services: Record<string, { image?: string; environment?: Record<string, string>; ports?: Array<{ target: number; host_ip?: string }> }>;
    };
    expect(Object.keys(config.services).sort()).toEqual(['billing', 'gateway', 'jaeger', 'mongo', 'nats', 'notifications', 'trading']);
    const jaeger = config.services.jaeger!;
    expect(jaeger.image).toBe('jaegertracing/jaeger:2.13.0');
    expect(jaeger.ports?.map((p) => `${p.host_ip}:${p.target}`).sort()).toEqual(['127.0.0.1:16686', '127.0.0.1:4317', '127.0.0.1:4318']);
    for (const name of ['gateway', 'billing', 'trading', 'notifications']) {
      expect({ name, otlp: config.services[name]!.environment?.OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({ name, otlp: 'http://jaeger:4318' });
    }
  });

  it('refuses to render without a required secret', () => {
    const { SERVICE_TOKEN_SECRET: _omitted, ...rest } = REQUIRED_ENV;
    const r = compose(COMPOSE_FILE, ['config', '--quiet'], rest);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set SERVICE_TOKEN_SECRET');
  });

  it('refuses a misspelt key (the schema is checked)', () => {
    const r = withCopy(
      (y) => y.replace('    image: jaegertracing/jaeger:', '    imag: jaegertracing/jaeger:'),
      (file) => compose(file, ['config', '--quiet']),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/services\.jaeger additional properties 'imag' not allowed/);
  });

  it('refuses a dependency on a service that does not exist', () => {
    const r = withCopy(
      (y) => y.replace('      jaeger:\n        condition: service_started\n', '      jaegr:\n        condition: service_started\n'),
      (file) => compose(file, ['config', '--quiet']),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/depends on undefined service "?jaegr"?/);
  });
});
