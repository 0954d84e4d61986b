import { RateLimiter } from '../src/rate-limit';

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
