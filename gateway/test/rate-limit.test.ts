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
});
