import type { Logger } from '@tbot/common';
import type mongoose from 'mongoose';
import { BotApiTransportError, type BotApiClient, type TelegramUpdate } from './bot-api';

/** The next update id to ask for, per bot; `_id` is `bot:<bot id>` so a new token starts afresh. */
interface PollStateDoc {
  _id: string;
  offset: number;
  updatedAt: Date;
}

export interface TelegramUpdatesPollerOptions {
  api: BotApiClient;
  logger: Logger;
  /** Handles one update; throwing stops the batch and retries that update after a pause. */
  handle: (update: TelegramUpdate) => Promise<unknown>;
  /** Long-poll timeout in seconds (Telegram holds the request this long when idle). */
  pollTimeoutSec?: number;
  /** First pause after a failed poll; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const POLL_STATE = 'telegram_poll_state';
/** Telegram keeps an update at most 24 hours; a stored offset older than that protects nothing. */
const STALE_OFFSET_MS = 24 * 3600_000;

/**
 * Receives updates with getUpdates long polling. The offset lives in Mongo and moves past
 * an update only after that update was handled, so a restart neither loses nor re-handles
 * updates (Telegram forgets updates below the offset we send). Errors, including 409
 * Conflict (another replica is polling, or a webhook is set), pause and retry: the poller
 * never crashes the process.
 */
export class TelegramUpdatesPoller {
  private readonly api: BotApiClient;
  private readonly logger: Logger;
  private readonly handle: (update: TelegramUpdate) => Promise<unknown>;
  private readonly pollTimeoutSec: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private stateKey?: string;

  constructor(
    private readonly conn: mongoose.Connection,
    opts: TelegramUpdatesPollerOptions,
  ) {
    this.api = opts.api;
    this.logger = opts.logger.child({ component: 'telegram-poller' });
    this.handle = opts.handle;
    this.pollTimeoutSec = opts.pollTimeoutSec ?? 25;
    this.backoffMs = opts.backoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal).finally(() => {
      this.loop = undefined;
    });
  }

  /** Aborts the long poll in flight and waits for the update being handled, if any. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const offset = await this.loadOffset();
        const updates = await this.poll(offset, signal);
        for (const update of updates) {
          // Finish the update in hand even when stopping; only then does the offset move.
          await this.handle(update);
          await this.saveOffset(update.update_id + 1);
          if (signal.aborted) break;
        }
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const pause = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(failures - 1, 16));
        this.logger.warn({ err: errorText(err), failures, retryInMs: pause }, 'telegram getUpdates failed; retrying');
        await sleep(pause, signal);
      }
    }
  }

  private async poll(offset: number | undefined, signal: AbortSignal): Promise<TelegramUpdate[]> {
    const answer = await this.api.call<TelegramUpdate[]>(
      'getUpdates',
      { ...(offset !== undefined ? { offset } : {}), timeout: this.pollTimeoutSec, allowed_updates: ['message'] },
      // Telegram answers at the end of its timeout; give the network a margin on top.
      { signal, timeoutMs: (this.pollTimeoutSec + 10) * 1000 },
    );
    if (answer.status === 200 && answer.body?.ok && Array.isArray(answer.body.result)) {
      return [...answer.body.result].sort((a, b) => a.update_id - b.update_id);
    }
    const description = answer.body?.description ?? `HTTP ${answer.status}`;
    // 409: "terminated by other getUpdates request" (two pollers) or "can't use getUpdates
    // method while webhook is active". Waiting is right for both; the log says which.
    throw new Error(answer.status === 409 ? `conflict: ${description}` : description);
  }

  private async key(): Promise<string> {
    if (this.stateKey) return this.stateKey;
    const me = await this.api.call<{ id: number }>('getMe', {});
    if (!me.body?.ok || typeof me.body.result?.id !== 'number') {
      throw new Error(`Telegram getMe failed: ${me.body?.description ?? `HTTP ${me.status}`}`);
    }
    this.stateKey = `bot:${me.body.result.id}`;
    return this.stateKey;
  }

  /**
   * The stored offset, unless it is older than Telegram's memory. Telegram keeps updates
   * for 24 hours, and after a week without updates it picks the next update_id at random,
   * possibly below our offset: sending a stale offset would then confirm (drop) every new
   * update. Past 24 hours nothing we handled can come back, so polling without an offset is
   * safe and finds updates whatever their ids.
   */
  private async loadOffset(): Promise<number | undefined> {
    const doc = await this.state().findOne({ _id: await this.key() });
    if (!doc) return undefined;
    if (Date.now() - doc.updatedAt.getTime() > STALE_OFFSET_MS) return undefined;
    return doc.offset;
  }

  private async saveOffset(offset: number): Promise<void> {
    // $set, not $max: after a random restart of the ids the offset legitimately goes down.
    await this.state().updateOne({ _id: await this.key() }, { $set: { offset, updatedAt: new Date() } }, { upsert: true });
  }

  private state(): mongoose.mongo.Collection<PollStateDoc> {
    const db = this.conn.db;
    if (!db) throw new Error('TelegramUpdatesPoller: MongoDB connection is not open');
    return db.collection<PollStateDoc>(POLL_STATE);
  }
}

function errorText(err: unknown): string {
  return err instanceof BotApiTransportError || err instanceof Error ? err.message : String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
