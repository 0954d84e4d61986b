import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';

export interface Child {
  name: string;
  proc: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<number | null>;
}

export type LineSink = (name: string, line: string, stream: 'stdout' | 'stderr') => void;

/** Prefixes each line with the process name, padded so columns line up. */
export const prefixedSink: LineSink = (name, line, stream) => {
  const out = stream === 'stdout' ? process.stdout : process.stderr;
  out.write(`${name.padEnd(9)}| ${line}\n`);
};

const live = new Set<ChildProcess>();
// Children run in their own process group (so a terminal's Ctrl-C reaches only us and we
// stop them in order); if we die without stopping them, take them with us.
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function spawnChild(
  name: string,
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; sink?: LineSink; nice?: number } = {},
): Child {
  const proc = spawn(command, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(proc);
  if (opts.nice && proc.pid !== undefined) lowerPriority(proc.pid, opts.nice);
  const sink = opts.sink ?? prefixedSink;
  createInterface({ input: proc.stdout! }).on('line', (l) => sink(name, l, 'stdout'));
  createInterface({ input: proc.stderr! }).on('line', (l) => sink(name, l, 'stderr'));
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? (signal ? 128 : null));
    });
    proc.once('error', (err) => {
      sink(name, `failed to start: ${err.message}`, 'stderr');
      resolve(127);
    });
  });
  return {
    name,
    proc,
    exited,
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Gives a child less CPU than its siblings when they compete for it. On Linux with
 * autogroups (the default), each session (and a detached child starts its own) is
 * scheduled as a group against the others and a process's own nice value only ranks it
 * within its group; so the group's nice is set, and the process's own as well for kernels
 * without autogroups. Best effort: without either, the child just runs at normal priority.
 */
function lowerPriority(pid: number, nice: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // No autogroups here (or not Linux).
  }
  try {
    setPriority(pid, nice);
  } catch {
    // Not allowed: stays at normal priority.
  }
}
