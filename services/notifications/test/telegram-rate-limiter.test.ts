import { TelegramRateLimiter, type Clock } from '../src/channels/telegram';

/** A clock that moves only when the test says so, firing due timers in order. */
class FakeClock implements Clock {
  private t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  schedule(fn: () => void, ms: number): () => void {
    const id = ++this.ids;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }
  /** Moves time forward by ms, running timers as their time comes, and lets promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(perChatIntervalMs = 1000, globalPerSecond = 30) {
  const clock = new FakeClock();
  const limiter = new TelegramRateLimiter({ perChatIntervalMs, globalPerSecond, clock });
  const granted: Array<{ chat: string; at: number; n: number }> = [];
  let n = 0;
  const request = (chat: string) => {
    const i = ++n;
    // The send is instant here: released as soon as granted.
    void limiter.acquire(chat).then(
      (release) => {
        granted.push({ chat, at: clock.now(), n: i });
        release();
      },
      () => undefined,
    );
  };
  return { clock, limiter, granted, request };
}

describe('Telegram rate limiter', () => {
  it('lets one message a second through to one chat, queuing (not dropping) the rest in order', async () => {
    const { clock, granted, request } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 4; i++) request('42');
    await clock.advance(0);
    expect(granted.map((g) => g.at - t0)).toEqual([0]);
    await clock.advance(999);
    expect(granted).toHaveLength(1);
    await clock.advance(1);
    expect(granted.map((g) => g.at - t0)).toEqual([0, 1000]);
    await clock.advance(5000);
    expect(granted.map((g) => g.at - t0)).toEqual([0, 1000, 2000, 3000]);
    expect(granted.map((g) => g.n)).toEqual([1, 2, 3, 4]);
  });

  it('a busy chat does not hold up other chats', async () => {
    const { clock, granted, request } = setup();
    const t0 = clock.now();
    request('a');
    request('a');
    request('b');
    await clock.advance(0);
    expect(granted.map((g) => [g.chat, g.at - t0])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
  });

  it('never lets more than 30 through in any one-second window over all chats', async () => {
    const { clock, granted, request } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 100; i++) request(`chat-${i}`);
    await clock.advance(0);
    expect(granted).toHaveLength(30);
    await clock.advance(999);
    expect(granted).toHaveLength(30);
    await clock.advance(1);
    expect(granted).toHaveLength(60);
    await clock.advance(3000);
    expect(granted).toHaveLength(100);
    const times = granted.map((g) => g.at - t0);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(30);
    // First come, first served across chats.
    expect(granted.map((g) => g.n)).toEqual([...Array(100).keys()].map((i) => i + 1));
  });

  it('after a 429 the chat waits retry_after, every other chat only the global pause', async () => {
    const { clock, limiter, granted, request } = setup();
    const t0 = clock.now();
    limiter.pause('42', 30_000, 2_000);
    request('42');
    request('7');
    await clock.advance(1_999);
    expect(granted).toHaveLength(0);
    await clock.advance(1);
    expect(granted.map((g) => [g.chat, g.at - t0])).toEqual([['7', 2000]]);
    await clock.advance(27_999);
    expect(granted).toHaveLength(1);
    await clock.advance(1);
    expect(granted.map((g) => [g.chat, g.at - t0])).toEqual([
      ['7', 2000],
      ['42', 30_000],
    ]);
  });

  it('a slow send pushes the next one to its chat: the interval starts when the answer is in', async () => {
    const { clock, limiter } = setup();
    const t0 = clock.now();
    const release = await limiter.acquire('42');
    let secondAt: number | undefined;
    void limiter.acquire('42').then((r) => {
      secondAt = clock.now() - t0;
      r();
    });
    await clock.advance(1500); // the first request is still in flight
    expect(secondAt).toBeUndefined();
    release(); // its answer arrives at 1500
    await clock.advance(999);
    expect(secondAt).toBeUndefined();
    await clock.advance(1);
    expect(secondAt).toBe(2500);
  });

  it('close rejects whoever still waits', async () => {
    const { clock, limiter } = setup();
    await limiter.acquire('1');
    const waiting = limiter.acquire('1');
    limiter.close();
    await expect(waiting).rejects.toThrow('closed');
    await expect(limiter.acquire('2')).rejects.toThrow('closed');
    await clock.advance(2000);
  });
});
