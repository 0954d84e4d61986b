import type mongoose from 'mongoose';
import { connect, type JsMsg } from 'nats';
import { postStripe } from './clients';
import { event, nextId, nowSeconds, subscriptionNew } from './stripe-events';

// Helpers for the fault tests (webhook-faults.int.test.ts): a continuous load of unique,
// signed Stripe events sent as a provider sends them (a 503 is resent after a pause), the
// ledger read straight from the database, and whole JetStream streams read back.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LoadUser {
  userId: string;
  customer: string;
  subscription: string;
}

export interface Answered {
  at: number;
  status: number;
  body: unknown;
}

export interface LoadResult {
  /** Ledger keys (`stripe:evt_…`) of every event the gateway answered 200 to. */
  accepted: string[];
  /** 200s that said duplicate:true (a resend of an event stored before a 503). */
  duplicates: number;
  /** When each 503 ingest_unavailable was answered (ms since epoch). */
  unavailable: number[];
  /** Anything else: other codes, connection errors. */
  unexpected: Answered[];
  /** Events given up on after maxResendMs (never answered 200). */
  abandoned: string[];
  startedAt: number;
  stoppedAt: number;
}

export interface Load {
  /** Live counters, for logging progress. */
  readonly stats: { accepted: number; unavailable: number; unexpected: number };
  /** Stops sending new events; each sender finishes (resends) the event it has in hand. */
  stop(): Promise<LoadResult>;
}

const PRICES = ['price_pro_monthly', 'price_enterprise_monthly'];

/**
 * `senders` loops, each posting unique customer.subscription.created/updated events for a
 * random one of `users` as fast as the gateway answers. A 503 is resent (same event, same
 * body) after `resendPauseMs`, as Stripe would (sooner, so the test stays short).
 */
export function startStripeLoad(opts: {
  gatewayUrl: string;
  users: LoadUser[];
  senders: number;
  resendPauseMs?: number;
  maxResendMs?: number;
  /** Most new events per second over all senders (resends not counted); unlimited if absent. */
  maxPerSecond?: number;
}): Load {
  const resendPauseMs = opts.resendPauseMs ?? 250;
  const maxResendMs = opts.maxResendMs ?? 60_000;
  let stopping = false;
  const result: LoadResult = { accepted: [], duplicates: 0, unavailable: [], unexpected: [], abandoned: [], startedAt: Date.now(), stoppedAt: 0 };
  const stats = { accepted: 0, unavailable: 0, unexpected: 0 };
  // Bounded load: new events start no more often than maxPerSecond (shared by the senders).
  let nextSlot = Date.now();
  const pace = async () => {
    if (!opts.maxPerSecond) return;
    const now = Date.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + 1000 / opts.maxPerSecond;
    if (slot > now) await sleep(slot - now);
  };

  const sender = async () => {
    while (!stopping) {
      await pace();
      if (stopping) break;
      const u = opts.users[Math.floor(Math.random() * opts.users.length)]!;
      const type = Math.random() < 0.25 ? 'customer.subscription.created' : 'customer.subscription.updated';
      const e = event(
        type,
        subscriptionNew({ id: u.subscription, customer: u.customer, userId: u.userId, price: PRICES[Math.floor(Math.random() * PRICES.length)] }),
        nowSeconds(),
      );
      const raw = JSON.stringify(e);
      const first = Date.now();
      for (;;) {
        let status = 0;
        let body: unknown;
        try {
          const a = await postStripe(opts.gatewayUrl, undefined, { raw });
          status = a.status;
          body = a.body;
        } catch (err) {
          body = String((err as Error).cause ?? err);
        }
        const at = Date.now();
        if (status === 200) {
          const b = body as { status?: string; event_id?: string; duplicate?: boolean };
          if (b.status !== 'accepted' || b.event_id !== `stripe:${e.id}`) {
            result.unexpected.push({ at, status, body });
            stats.unexpected++;
          }
          result.accepted.push(`stripe:${e.id}`);
          stats.accepted++;
          if (b.duplicate) result.duplicates++;
          break;
        }
        if (status === 503 && (body as { error?: string })?.error === 'ingest_unavailable') {
          result.unavailable.push(at);
          stats.unavailable++;
        } else {
          result.unexpected.push({ at, status, body });
          stats.unexpected++;
        }
        if (at - first > maxResendMs) {
          result.abandoned.push(`stripe:${e.id}`);
          break;
        }
        await sleep(resendPauseMs);
      }
    }
  };
  const running = Promise.all(Array.from({ length: opts.senders }, sender));
  return {
    stats,
    async stop() {
      stopping = true;
      await running;
      result.stoppedAt = Date.now();
      return result;
    },
  };
}

export interface LedgerEntry {
  _id: string;
  state: string;
  outcome?: string | null;
}

/** The ledger entries of these keys, read in pages (a missing key has no entry). */
export async function ledgerEntries(db: mongoose.Connection, keys: string[], page = 200): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  const col = db.collection<LedgerEntry>('webhook_events');
  for (let i = 0; i < keys.length; i += page) {
    const docs = await col.find({ _id: { $in: keys.slice(i, i + page) } }, { projection: { state: 1, outcome: 1 }, maxTimeMS: 30_000 }).toArray();
    for (const d of docs) {
      if (out.has(d._id)) throw new Error(`ledger key ${d._id} returned twice`);
      out.set(d._id, d);
    }
  }
  return out;
}

export interface DrainReport {
  drained: boolean;
  entries: Map<string, LedgerEntry>;
  /** Keys without an entry, or whose entry is not `done`. */
  pending: string[];
  byState: Record<string, number>;
  waitedMs: number;
}

/** Polls the ledger until every key's entry is `done` (or the deadline passes). */
export async function waitForDrain(
  db: mongoose.Connection,
  keys: string[],
  timeoutMs: number,
  onProgress?: (line: string) => void,
  storeStallMs = 45_000,
): Promise<DrainReport> {
  const began = Date.now();
  let lastError = '';
  let lastLine = '';
  let unreadableSince = 0;
  let lastLogged = 0;
  for (;;) {
    let entries: Map<string, LedgerEntry> | undefined;
    try {
      entries = await ledgerEntries(db, keys);
    } catch (err) {
      // the database may still be coming back
      lastError = String(err);
    }
    const line = entries ? `ledger: ${[...entries.values()].filter((e) => e.state === 'done').length} of ${keys.length} done` : `ledger unreadable: ${lastError}`;
    if (line !== lastLine || Date.now() - lastLogged > 10_000) {
      onProgress?.(line);
      lastLine = line;
      lastLogged = Date.now();
    }
    if (entries) unreadableSince = 0;
    else if (!unreadableSince) unreadableSince = Date.now();
    // A store that has not answered for this long is not coming back by itself.
    const stalled = unreadableSince > 0 && Date.now() - unreadableSince > storeStallMs;
    if (stalled) {
      return {
        drained: false,
        entries: new Map(),
        pending: keys,
        byState: { [`(the database has not answered for ${storeStallMs / 1000} s: ${lastError})`]: keys.length },
        waitedMs: Date.now() - began,
      };
    }
    if (entries) {
      const pending = keys.filter((k) => entries!.get(k)?.state !== 'done');
      if (pending.length === 0 || Date.now() - began > timeoutMs) {
        const byState: Record<string, number> = {};
        for (const k of keys) {
          const s = entries.get(k)?.state ?? '(no entry)';
          byState[s] = (byState[s] ?? 0) + 1;
        }
        return { drained: pending.length === 0, entries, pending, byState, waitedMs: Date.now() - began };
      }
    } else if (Date.now() - began > timeoutMs) {
      return { drained: false, entries: new Map(), pending: keys, byState: { [`(ledger unreadable: ${lastError})`]: keys.length }, waitedMs: Date.now() - began };
    }
    await sleep(1000);
  }
}

export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string;
  /** Webhook-Event-Key header (WEBHOOKS stream). */
  eventKey: string;
  /** When the stream stored it. */
  at: string;
  /** The body, when asked for. */
  data?: string;
}

/** Every message in the stream (headers; bodies when withData), through an ordered consumer. */
export async function readStream(natsUrl: string, stream: string, withData = false): Promise<StreamMessage[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    if (info.state.messages === 0) return [];
    const last = info.state.last_seq;
    const consumer = await nc.jetstream().consumers.get(stream);
    const out: StreamMessage[] = [];
    const messages = await consumer.consume({ max_messages: 1000 });
    const watchdog = setTimeout(() => void messages.close(), 60_000);
    try {
      for await (const m of messages as AsyncIterable<JsMsg>) {
        out.push({
          seq: m.seq,
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id') ?? '',
          eventKey: m.headers?.get('Webhook-Event-Key') ?? '',
          at: new Date(Math.floor(m.info.timestampNanos / 1e6)).toISOString(),
          ...(withData ? { data: new TextDecoder().decode(m.data) } : {}),
        });
        if (m.seq >= last) break;
      }
    } finally {
      clearTimeout(watchdog);
      await messages.close();
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** A new user id set for the load: each user with its own Stripe customer and subscription. */
export function loadUser(userId: string): LoadUser {
  return { userId, customer: nextId('cus'), subscription: nextId('sub') };
}

/** Counts per value, for reports. */
export function tally(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
