import { flushLogs, type Logger } from './logger';
import { shutdownTelemetry } from './telemetry/sdk';

export type ShutdownStep = [name: string, run: () => Promise<unknown>];

/**
 * On SIGTERM or SIGINT runs the steps in order (stop accepting first, close connections
 * last), flushes traces and exits. A second signal, or the timeout, exits at once.
 */
export function onShutdown(logger: Logger, timeoutMs: number, steps: ShutdownStep[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out: exiting');
      process.exit(1);
    }, timeoutMs + 2000);
    force.unref();
    let code = 0;
    for (const [name, run] of steps) {
      try {
        await run();
      } catch (err) {
        code = 1;
        logger.error({ err, step: name }, 'shutdown step failed');
      }
    }
    await shutdownTelemetry();
    logger.info('stopped');
    await flushLogs(logger, 1000);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Logs a start-up failure (without secrets: ConfigError names variables only) and exits. */
export function exitOnStartupError(logger: Logger, err: unknown): never {
  logger.fatal({ err }, 'failed to start');
  logger.flush?.();
  process.exit(1);
}
