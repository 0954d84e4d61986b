import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Log lines waiting for stdout's reader, at most. A reader that stopped reading (its
 * supervisor was stopped, a log shipper hangs) must not make the service grow without
 * bound: past this, lines are dropped and the next line written says how many.
 */
export const MAX_PENDING_LOG_BYTES = 8 * 1024 * 1024;

/**
 * Where log lines go: stdout, written without ever blocking the process.
 *
 * Why not pino's own destination (sonic-boom): on exit it flushes synchronously and retries
 * until the write succeeds. With a full pipe (reader alive, not reading) that is forever,
 * and on EPIPE (reader gone) it retries forever too, so a service told to stop by SIGTERM
 * never exits (issue 9, item 11; gateway/test/shutdown.int.test.ts reproduces both).
 *
 * Here lines are gathered per event-loop turn and handed to Node's own stdout stream in
 * one write (one system call per batch, not per line). For a pipe Node makes the
 * descriptor non-blocking and waits for room through the event loop, so nothing ever
 * blocks, not even at exit; EPIPE stops logging instead of crashing the service.
 */
export class StdoutDestination {
  private batch: string[] = [];
  private batchBytes = 0;
  private scheduled = false;
  private broken = false;
  /** Lines dropped since the last one that got through. */
  private dropped = 0;

  constructor(
    private readonly out: Writable & { fd?: number } = process.stdout,
    private readonly maxPendingBytes = MAX_PENDING_LOG_BYTES,
  ) {
    // EPIPE (the reader is gone) or any other write error: logging stops, the service goes on.
    out.on('error', () => {
      this.broken = true;
      this.batch = [];
      this.batchBytes = 0;
    });
    exitHooks.add(this);
  }

  write(line: string): void {
    if (this.broken) return;
    if (this.out.writableLength + this.batchBytes + line.length > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      const note = `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: 'log lines dropped: stdout was not read', dropped: this.dropped })}\n`;
      this.dropped = 0;
      this.batch.push(note);
      this.batchBytes += note.length;
    }
    this.batch.push(line);
    this.batchBytes += line.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeBatch());
    }
  }

  /** pino's `logger.flush(cb)`: calls back once stdout took everything, or at once if it never will. */
  flush(cb: (err?: Error) => void = () => undefined): void {
    this.writeBatch();
    if (this.broken || this.out.writableLength === 0) return cb();
    const done = () => {
      this.out.off('drain', done);
      this.out.off('error', done);
      cb();
    };
    this.out.once('drain', done);
    this.out.once('error', done);
  }

  /**
   * At exit: the lines of this last turn (a fatal start-up error, "stopped") in one attempt,
   * only when nothing is queued before them (order) and never retried (the reader may be gone).
   */
  lastWrite(): void {
    if (this.broken || this.batch.length === 0 || this.out.writableLength > 0 || typeof this.out.fd !== 'number') return;
    try {
      writeSync(this.out.fd, this.batch.join(''));
    } catch {
      // EAGAIN (full pipe) or EPIPE: those lines are lost, the exit is not.
    }
    this.batch = [];
  }

  private writeBatch(): void {
    this.scheduled = false;
    if (this.broken || this.batch.length === 0) return;
    const chunk = this.batch.join('');
    this.batch = [];
    this.batchBytes = 0;
    this.out.write(chunk);
  }
}

const exitHooks = new Set<StdoutDestination>();
process.once('exit', () => {
  for (const d of exitHooks) d.lastWrite();
});
