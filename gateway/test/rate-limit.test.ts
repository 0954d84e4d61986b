import { RateLimiter, RateLimiters } from '../src/rate-limit';
import { addToCounter, counterKey } from '../src/rate-limit-sync';

describe('RateLimiter', () => {
  it('allows the limit per key per minute, then says how long to wait', () => {
    let t = 120_000; // start of a minute
    const limiter = new RateLimiter(3, () => t);
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('a')]).toEqual([0, 0, 0]);
    t += 15_000;
    expect(limiter.hit('a')).toBe(45);
    expect(limiter.hit('b')).toBe(0);
    t += 45_000; // next window
    expect(limiter.hit('a')).toBe(0);
  });

  it('peeks without counting', () => {
    const t = 120_000;
    const limiter = new RateLimiter(2, () => t);
    expect([limiter.peek('a'), limiter.peek('a'), limiter.peek('a')]).toEqual([0, 0, 0]);
    limiter.hit('a');
    expect(limiter.peek('a')).toBe(0);
    limiter.hit('a');
    expect(limiter.peek('a')).toBe(60);
  });

  it('remembers a bounded number of keys, forgetting the least recently counted', () => {
    const t = 120_000;
    const limiter = new RateLimiter(1, () => t, 3);
    for (const k of ['a', 'b', 'c']) limiter.hit(k);
    limiter.hit('a'); // a is now the most recent (and over its limit)
    limiter.hit('d'); // full: b, the least recently counted, is forgotten
    expect(limiter.peek('a')).toBeGreaterThan(0);
    expect(limiter.hit('b')).toBe(0);
  });
});

describe('RateLimiter with a shared counter', () => {
  it('hands over hits once, and decides on the shared total plus what is not added yet', () => {
    let t = 120_000;
    const a = new RateLimiter(10, () => t, 100, 'ip');
    for (let i = 0; i < 3; i++) a.hit('k');
    const pending = a.takePending();
    expect(pending).toEqual([{ key: 'k', start: 120_000, delta: 3, shared: 0, revision: 0 }]);
    expect(a.takePending()).toEqual([]); // handed over once
    // The shared counter says the whole cluster made 9 (our 3 among them).
    a.settled(pending[0]!, 9, 42);
    expect(a.hit('k')).toBe(0); // 10th
    t += 1000;
    expect(a.hit('k')).toBe(59); // 11th: over the limit
    expect(a.peek('k')).toBe(59);
    // The next hand-over starts from the known total and revision (compare-and-set without a read).
    expect(a.takePending()).toEqual([{ key: 'k', start: 120_000, delta: 2, shared: 9, revision: 42 }]);
  });

  it('never decides on less than its own count, whatever the shared counter says', () => {
    const a = new RateLimiter(2, () => 120_000);
    a.hit('k');
    const p = a.takePending();
    a.settled(p[0]!, 0, 1); // a stale or reset counter
    a.hit('k');
    expect(a.hit('k')).toBeGreaterThan(0);
  });

  it('keeps hits that could not be added for the next sync', () => {
    const a = new RateLimiter(5, () => 120_000);
    a.hit('k');
    a.hit('k');
    const p = a.takePending();
    a.hit('k');
    a.unsettled(p[0]!);
    expect(a.takePending()).toEqual([{ key: 'k', start: 120_000, delta: 3, shared: 0, revision: 0 }]);
  });

  it('drops what belongs to a window that is over', () => {
    let t = 120_000;
    const a = new RateLimiter(5, () => t);
    a.hit('k');
    const p = a.takePending();
    t += 60_000;
    a.unsettled(p[0]!);
    a.settled(p[0]!, 100, 7);
    expect(a.takePending()).toEqual([]);
    expect(a.hit('k')).toBe(0);
  });
});

describe('RateLimiters', () => {
  it('refuses two limiters under one name (they would add to each other\u2019s counters)', () => {
    const limiters = new RateLimiters();
    limiters.create('ip', 5);
    expect(() => limiters.create('ip', 5)).toThrow(/exists/);
    expect(limiters.all().map((l) => l.name)).toEqual(['ip']);
  });
});

describe('shared counter keys and values', () => {
  it('names a counter by limiter, window and key, in characters NATS KV allows', () => {
    for (const key of ['::ffff:127.0.0.1', '2001:db8::1', '0b7c1c1e-1b7a-4d2e-9a43-0f3f1c2b3a4d', 'ü / * > .', '']) {
      const k = counterKey('tradingview-ip', 120_000, key);
      expect(k).toMatch(/^tradingview-ip\.120000\.[-_A-Za-z0-9]+$/);
    }
    expect(counterKey('ip', 0, 'a')).not.toBe(counterKey('ip', 0, 'b'));
    expect(counterKey('ip', 0, 'a')).not.toBe(counterKey('ip', 60_000, 'a'));
  });

  it('adds to what the counter held; anything unreadable counts as 0', () => {
    expect(addToCounter('7', 3)).toBe(10);
    expect(addToCounter(undefined, 2)).toBe(2);
    for (const junk of ['', 'x', '-5', '1e400', '1.5']) expect(addToCounter(junk, 1)).toBe(1);
  });
});
