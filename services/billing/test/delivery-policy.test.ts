import { decide, failureDelayMs, mayWaitForUser, unmatchedDelayMs, type DeliveryPolicy } from '../src/webhooks/delivery-policy';

const policy: DeliveryPolicy = { maxDeliver: 8, unmatchedRetryMs: 30 * 60_000 };

describe('what happens to a delivered webhook', () => {
  it('acks an event once it is done, whatever its outcome', () => {
    expect(decide({ kind: 'done' }, 1, policy)).toEqual({ action: 'ack' });
    expect(decide({ kind: 'done' }, 50, policy)).toEqual({ action: 'ack' });
  });

  it('retries a failure with a growing delay, and dead-letters it at WEBHOOK_MAX_DELIVER', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => decide({ kind: 'failed' }, n, policy));
    expect(delays.map((d) => (d.action === 'retry' ? d.delayMs : d.action))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(decide({ kind: 'failed' }, 8, policy)).toEqual({ action: 'dead_letter' });
    expect(decide({ kind: 'failed' }, 3, { ...policy, maxDeliver: 3 })).toEqual({ action: 'dead_letter' });
  });

  it('never dead-letters because the database or NATS was down', () => {
    for (const n of [1, 8, 9, 100]) {
      const d = decide({ kind: 'unavailable' }, n, policy);
      expect(d.action).toBe('retry');
      expect(d.action === 'retry' && d.delayMs).toBeLessThanOrEqual(8000);
    }
  });

  it('looks again later, without acking, at an event another delivery is still applying', () => {
    expect(decide({ kind: 'in_progress' }, 1, policy)).toEqual({ action: 'retry', delayMs: 10_000 });
    expect(decide({ kind: 'in_progress' }, 50, policy)).toEqual({ action: 'retry', delayMs: 10_000 });
  });

  it('dead-letters an unreadable event at once: no retry can fix it', () => {
    expect(decide({ kind: 'invalid' }, 1, policy)).toEqual({ action: 'dead_letter' });
  });

  it('re-tries an unmatched event soon, then every 5 minutes, while it is young enough', () => {
    expect([1, 2, 3, 4, 5, 9].map(unmatchedDelayMs)).toEqual([5000, 30000, 120000, 300000, 300000, 300000]);
    expect(decide({ kind: 'unmatched' }, 1, policy)).toEqual({ action: 'retry', delayMs: 5000 });
    expect(mayWaitForUser(29 * 60_000, policy)).toBe(true);
    expect(mayWaitForUser(30 * 60_000, policy)).toBe(false);
  });

  it('caps the failure backoff at a minute', () => {
    expect(failureDelayMs(20)).toBe(60_000);
    expect(failureDelayMs(0)).toBe(1000);
  });
});
