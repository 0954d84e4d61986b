import type { Logger } from './logger';

export interface Periodic {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every intervalMs, never two runs at once (a slow run skips ticks instead of
 * piling up), logging failures rather than crashing. For relays and follow-up sweeps.
 */
export function every(intervalMs: number, name: string, logger: Logger, task: () => Promise<unknown>): Periodic {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, task: name }, 'periodic task failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
