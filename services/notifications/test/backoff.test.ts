import { nextRetry } from '../src/backoff';
import { classifyResponse, retryAfterMs } from '../src/channels/webhook/response';

const policy = { baseMs: 10_000, maxDelayMs: 12 * 3_600_000, giveUpAfterMs: 72 * 3_600_000 };

describe('retry schedule', () => {
  it('grows ×4 from the base, capped, over about three days', () => {
    let age = 0;
    const delays: number[] = [];
    for (let n = 1; ; n++) {
      const plan = nextRetry(policy, n, age, { random: 0.5 });
      if (!plan.retry) break;
      delays.push(plan.delayMs);
      age += plan.delayMs;
    }
    expect(delays.slice(0, 4)).toEqual([10_000, 40_000, 160_000, 640_000]);
    expect(Math.max(...delays)).toBe(12 * 3_600_000);
    expect(age).toBeGreaterThan(60 * 3_600_000);
    expect(age).toBeLessThanOrEqual(72 * 3_600_000);
    expect(delays.length).toBeGreaterThan(8);
  });

  it('jitters within ±20 % and honours the other end’s Retry-After as a minimum', () => {
    expect(nextRetry(policy, 2, 0, { random: 0 })).toEqual({ retry: true, delayMs: 32_000 });
    expect(nextRetry(policy, 2, 0, { random: 0.999999 })).toEqual({ retry: true, delayMs: 48_000 });
    expect(nextRetry(policy, 1, 0, { random: 0.5, afterMs: 120_000 })).toEqual({ retry: true, delayMs: 120_000 });
    expect(nextRetry(policy, 1, 72 * 3_600_000 - 5_000, { random: 0.5 })).toEqual({ retry: false });
  });
});

describe('an endpoint’s answer', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [200, undefined, { kind: 'delivered', statusCode: 200 }],
    [204, undefined, { kind: 'delivered', statusCode: 204 }],
    [410, undefined, { kind: 'gone', reason: 'http_410', statusCode: 410 }],
    [503, '7', { kind: 'retry', reason: 'http_503', statusCode: 503, afterMs: 7000 }],
    [429, 'Thu, 01 Jan 2026 00:01:00 GMT', { kind: 'retry', reason: 'http_429', statusCode: 429, afterMs: 60_000 }],
    [500, 'soon', { kind: 'retry', reason: 'http_500', statusCode: 500 }],
    [408, undefined, { kind: 'retry', reason: 'http_408', statusCode: 408 }],
    [400, undefined, { kind: 'failed', reason: 'http_400', statusCode: 400 }],
    [301, undefined, { kind: 'failed', reason: 'http_301_redirect_not_followed', statusCode: 301 }],
  ] as const)('%s (Retry-After %s)', (status, retryAfter, expected) => {
    expect(classifyResponse(status, retryAfter, now)).toEqual(expected);
  });

  it('reads Retry-After as seconds or a date, never negative', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
