/** Time as the limiter sees it; tests pass a fake one and move it by hand. */
export interface Clock {
  now(): number;
  /** Runs fn after ms; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending wake-up must not keep a process alive that is otherwise done.
    t.unref();
    return () => clearTimeout(t);
  },
};

export class LimiterClosedError extends Error {
  constructor() {
    super('Telegram rate limiter closed');
    this.name = 'LimiterClosedError';
  }
}

/** Called when the request to the chat has its answer (or failed): starts the chat's interval. */
export type ReleaseChat = () => void;

interface Waiter {
  chatId: string;
  resolve: (release: ReleaseChat) => void;
  reject: (err: Error) => void;
}

export interface RateLimiterOptions {
  /** Least time between two messages to one chat (Bot FAQ: about 1 message per second per chat). */
  perChatIntervalMs: number;
  /** Most messages in any one-second window over all chats (Bot FAQ: about 30 per second). */
  globalPerSecond: number;
  clock?: Clock;
}

/**
 * Queues sends so that Telegram's flood limits are kept before Telegram has to enforce
 * them with 429s: at most one message per chat per interval and at most N per second
 * overall. Callers wait their turn (nothing is dropped); waiters are served in arrival
 * order, except that one waiting on a busy chat does not hold up others to free chats.
 */
export class TelegramRateLimiter {
  private readonly clock: Clock;
  private readonly waiters: Waiter[] = [];
  /** Earliest time each chat may be sent to again. Entries in the past are pruned. */
  private readonly chatReadyAt = new Map<string, number>();
  /** Chats with a request in flight: the next one waits for its answer. */
  private readonly chatBusy = new Set<string>();
  /** Grant times within the last second, oldest first. */
  private readonly recentGrants: number[] = [];
  private globalPausedUntil = 0;
  private cancelWake?: () => void;
  private wakeAt = Infinity;
  private closed = false;

  constructor(private readonly opts: RateLimiterOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Resolves when a message to chatId may be sent now; the caller sends it and calls the
   * returned release when the answer is in. The chat's interval starts then, not at the
   * grant: Telegram counts arrivals, and two requests granted a second apart can arrive
   * closer than that when the first is slow on the network. Started at the answer, the
   * next request leaves a full interval after the previous one surely arrived.
   */
  acquire(chatId: string): Promise<ReleaseChat> {
    if (this.closed) return Promise.reject(new LimiterClosedError());
    return new Promise<ReleaseChat>((resolve, reject) => {
      this.waiters.push({ chatId, resolve, reject });
      this.pump();
    });
  }

  /**
   * Holds a chat back (after a 429 for it) and, for up to globalMs, every chat: a 429 does
   * not say whether the chat or the whole bot hit the limit.
   */
  pause(chatId: string, chatMs: number, globalMs = 0): void {
    const now = this.clock.now();
    this.chatReadyAt.set(chatId, Math.max(this.chatReadyAt.get(chatId) ?? 0, now + chatMs));
    if (globalMs > 0) this.globalPausedUntil = Math.max(this.globalPausedUntil, now + globalMs);
    this.pump();
  }

  /** Waiters queued now (for metrics and tests). */
  get queued(): number {
    return this.waiters.length;
  }

  /** Rejects every waiter and refuses new ones (graceful shutdown). */
  close(): void {
    this.closed = true;
    this.cancelWake?.();
    this.cancelWake = undefined;
    for (const w of this.waiters.splice(0)) w.reject(new LimiterClosedError());
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    while (this.recentGrants.length && this.recentGrants[0]! <= now - 1000) this.recentGrants.shift();
    let nextWake = Infinity;
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.chatBusy.has(w.chatId)) {
        // Woken again by that chat's release.
        i++;
        continue;
      }
      const readyAt = Math.max(this.chatReadyAt.get(w.chatId) ?? 0, this.globalPausedUntil, this.globalFreeAt(now));
      if (readyAt > now) {
        nextWake = Math.min(nextWake, readyAt);
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.recentGrants.push(now);
      this.chatBusy.add(w.chatId);
      w.resolve(this.releaser(w.chatId));
      // Do not advance i: the next waiter moved into this slot. A later waiter for the same
      // chat now sees the chat busy, so per-chat order is kept.
    }
    for (const [chat, at] of this.chatReadyAt) if (at <= now) this.chatReadyAt.delete(chat);
    this.scheduleWake(nextWake, now);
  }

  private releaser(chatId: string): ReleaseChat {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.chatBusy.delete(chatId);
      const at = this.clock.now() + this.opts.perChatIntervalMs;
      // A pause set while the request was in flight (its 429) may reach further.
      this.chatReadyAt.set(chatId, Math.max(this.chatReadyAt.get(chatId) ?? 0, at));
      this.pump();
    };
  }

  /** When the one-second window next has room. */
  private globalFreeAt(now: number): number {
    if (this.recentGrants.length < this.opts.globalPerSecond) return now;
    return this.recentGrants[this.recentGrants.length - this.opts.globalPerSecond]! + 1000;
  }

  private scheduleWake(at: number, now: number): void {
    if (at === Infinity) {
      this.cancelWake?.();
      this.cancelWake = undefined;
      this.wakeAt = Infinity;
      return;
    }
    if (this.cancelWake && this.wakeAt === at) return;
    this.cancelWake?.();
    this.wakeAt = at;
    this.cancelWake = this.clock.schedule(() => {
      this.cancelWake = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, at - now);
  }
}
