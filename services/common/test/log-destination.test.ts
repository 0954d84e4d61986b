import { Writable } from 'node:stream';
import { StdoutDestination } from '../src/log-destination';

// The destination against Node streams that behave like a pipe nobody reads, or one whose
// reader is gone: logging must neither block, nor grow without bound, nor throw.

/** A pipe whose reader takes nothing until `release()`. */
function stalledPipe() {
  const chunks: string[] = [];
  let pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      pending.push(cb);
    },
  });
  return {
    stream,
    chunks,
    release() {
      const p = pending;
      pending = [];
      p.forEach((cb) => cb());
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StdoutDestination', () => {
  it('writes the lines of one event-loop turn in one write', async () => {
    const pipe = stalledPipe();
    const d = new StdoutDestination(pipe.stream, 1 << 20);
    d.write('a\n');
    d.write('b\n');
    await tick();
    expect(pipe.chunks).toEqual(['a\nb\n']);
  });

  it('drops lines past its limit while nobody reads, then says how many', async () => {
    const pipe = stalledPipe();
    const d = new StdoutDestination(pipe.stream, 100);
    for (let i = 0; i < 50; i++) d.write(`${'x'.repeat(9)}\n`);
    await tick();
    expect(pipe.chunks.join('').length).toBeLessThanOrEqual(100);
    pipe.release();
    await tick();
    d.write('after\n');
    await tick();
    const note = pipe.chunks.at(-1)!.split('\n')[0]!;
    expect(JSON.parse(note)).toMatchObject({ msg: 'log lines dropped: stdout was not read', dropped: 40 });
  });

  it('flush calls back once everything was taken, and not before', async () => {
    const pipe = stalledPipe();
    const d = new StdoutDestination(pipe.stream, 1 << 20);
    d.write(`${'y'.repeat(2000)}\n`);
    let flushed = false;
    d.flush(() => {
      flushed = true;
    });
    await tick();
    expect(flushed).toBe(false);
    pipe.release();
    await tick();
    expect(flushed).toBe(true);
  });

  it('stops logging on a write error (EPIPE) instead of throwing, and flush still calls back', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const d = new StdoutDestination(stream, 1 << 20);
    d.write('first\n');
    await tick();
    expect(() => d.write('second\n')).not.toThrow();
    await new Promise<void>((resolve) => d.flush(() => resolve()));
  });
});
