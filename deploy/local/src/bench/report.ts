import { readFileSync } from 'node:fs';
import { canConnect } from '../tools';

/** One measured row: name, value, the target as text, and whether it was met. */
export type Row = [name: string, value: string, target: string, ok: boolean];

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Resident memory of a process, from /proc. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Prints the table and sets the exit code: a missed target fails `npm run bench`. Called
 * more than once, any table with a miss fails the run.
 */
export function report(title: string, rows: Row[], extra: string): void {
  const width = Math.max(32, ...rows.map((r) => r[0].length + 2));
  const valueWidth = Math.max(12, ...rows.map((r) => r[1].length + 1));
  const targetWidth = Math.max(10, ...rows.map((r) => r[2].length + 1));
  process.stdout.write(`\n${title}\n\n${'measure'.padEnd(width)}${'value'.padStart(valueWidth)}  ${'target'.padEnd(targetWidth)} ok\n`);
  for (const [name, value, target, ok] of rows) {
    process.stdout.write(`${name.padEnd(width)}${value.padStart(valueWidth)}  ${target.padEnd(targetWidth)} ${ok ? 'yes' : 'NO'}\n`);
  }
  if (extra) process.stdout.write(`\n${extra}\n`);
  if (!rows.every((r) => r[3])) process.exitCode = 1;
  else process.exitCode ??= 0;
}

/**
 * FerretDB on the local PostgreSQL when one answers (closer to a real database than
 * SQLite), in a database of its own per run.
 */
export async function benchDatabaseEnv(prefix: string): Promise<NodeJS.ProcessEnv> {
  if (process.env.TEST_MONGODB_URI || process.env.FERRETDB_POSTGRESQL_URL) return {};
  if (!(await canConnect('127.0.0.1', 5432))) {
    process.stdout.write('no PostgreSQL on 127.0.0.1:5432: FerretDB runs on SQLite and the targets will not be met\n');
    return {};
  }
  return {
    FERRETDB_POSTGRESQL_URL: process.env.BENCH_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    FERRETDB_DATABASE: `${prefix}_${Date.now()}`,
  };
}

export function runBench(main: () => Promise<void>): void {
  main().catch((err: Error) => {
    process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
