import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLogger, createRegistry } from '@tbot/common';
import { startFerretDB, type Child } from '@tbot/local-stack/dist';
import mongoose from 'mongoose';
import type { CataloguedEvent } from '../src/catalogue';
import type { Attempt, Channel, ChannelName, DeliveryOutcome, Destination, Notification } from '../src/channel';
import { Contacts } from '../src/contacts';
import { Deliveries } from '../src/deliveries';
import type { DestinationSource } from '../src/destinations';
import { FillDigests } from '../src/digest';
import { Dispatcher } from '../src/dispatcher';
import { createNotificationMetrics } from '../src/metrics';
import { PreferenceStore } from '../src/preference-store';

// The dispatcher with the contract a Telegram or email channel implements (fake channels
// scripted per call) on a real FerretDB: preferences, the digest, gone / moved
// destinations, and the claim under concurrent attempts.

const logger = createLogger('dispatcher-test', 'silent');

class ScriptedChannel implements Channel {
  readonly sent: Array<{ to: string; n: Notification; attempt: Attempt }> = [];
  script: DeliveryOutcome[] = [];
  constructor(readonly name: ChannelName) {}
  async send(d: Destination, n: Notification, attempt: Attempt): Promise<DeliveryOutcome> {
    this.sent.push({ to: d.address, n, attempt });
    // Slow enough that concurrent attempts overlap.
    await new Promise((r) => setTimeout(r, 20));
    return this.script.shift() ?? { kind: 'delivered' };
  }
  async close(): Promise<void> {}
}

class Chats implements DestinationSource {
  readonly channel = 'telegram' as const;
  chats = new Map<string, string[]>();
  async addressesFor(userId: string): Promise<string[]> {
    return this.chats.get(userId) ?? [];
  }
  async gone(address: string, movedTo?: string): Promise<void> {
    for (const [u, list] of this.chats) this.chats.set(u, list.flatMap((c) => (c === address ? (movedTo ? [movedTo] : []) : [c])));
  }
}

const fill = (userId: string, i: number): CataloguedEvent => ({
  type: 'order.filled',
  userId,
  reasonCode: 'filled',
  failure: false,
  title: `Filled: BUY ${i} BTC/USDT @ 1`,
  text: 'filled',
  data: { user_id: userId },
});

describe('dispatcher', () => {
  let dir: string;
  let ferret: Child | undefined;
  let conn: mongoose.Connection;
  let deliveries: Deliveries;
  let preferences: PreferenceStore;
  let telegram: ScriptedChannel;
  let email: ScriptedChannel;
  let chats: Chats;
  let contacts: Contacts;
  const dispatchers: Dispatcher[] = [];

  const makeDispatcher = (owner: string) => {
    const d = new Dispatcher(
      {
        deliveries,
        preferences,
        contacts,
        digests: new FillDigests(conn),
        channels: new Map<ChannelName, Channel>([
          ['telegram', telegram],
          ['email', email],
        ]),
        sources: new Map<ChannelName, DestinationSource>([
          ['telegram', chats],
          ['email', contacts.emailDestinations()],
        ]),
        metrics: createNotificationMetrics(createRegistry()),
        logger,
      },
      { owner, leaseMs: 5_000, backoff: { baseMs: 50, maxDelayMs: 200, giveUpAfterMs: 60_000 }, digestThreshold: 3 },
    );
    dispatchers.push(d);
    return d;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-notif-'));
    let uri = process.env.TEST_MONGODB_URI;
    if (!uri) {
      const f = await startFerretDB({ dataDir: path.join(dir, 'ferretdb'), sink: () => undefined });
      ferret = f.child;
      uri = f.uri;
    }
    conn = await mongoose.createConnection(uri, { dbName: `notif_${Date.now()}` }).asPromise();
    deliveries = new Deliveries(conn);
    preferences = new PreferenceStore(conn);
    contacts = new Contacts(conn);
    await Promise.all([deliveries.init(), contacts.init(), new FillDigests(conn).init()]);
  });

  beforeEach(() => {
    telegram = new ScriptedChannel('telegram');
    email = new ScriptedChannel('email');
    chats = new Chats();
  });

  afterAll(async () => {
    await Promise.all(dispatchers.map((d) => d.stop()));
    await conn?.close();
    await ferret?.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows preferences and defaults, with the email billing carried, silent where asked', async () => {
    const d = makeDispatcher('a');
    const user = `u-${Date.now()}-prefs`;
    chats.chats.set(user, ['100']);
    await contacts.rememberEmail(user, 'trader@example.com', new Date());
    await preferences.update(user, { 'order.failed|email': 'off', 'order.failed|telegram': 'silent' });
    const ev: CataloguedEvent = { type: 'order.failed', userId: user, reasonCode: 'exchange_unavailable', failure: true, title: 't', text: 'x', data: {} };
    const ids = await d.dispatch('evt-prefs-1', ev, new Date());
    expect(ids).toHaveLength(1);
    await d.attempt(ids[0]!);
    expect(telegram.sent).toEqual([expect.objectContaining({ to: '100', n: expect.objectContaining({ silent: true, eventId: 'evt-prefs-1', userId: user }) })]);
    expect(email.sent).toEqual([]);
    // Default for a fill by email is off; payment failures go everywhere.
    const fillIds = await d.dispatch('evt-prefs-2', fill(user, 1), new Date());
    expect((await Promise.all(fillIds.map((id) => deliveries.get(id)))).map((x) => x!.channel)).toEqual(['telegram']);
    const payIds = await d.dispatch('evt-prefs-3', { ...ev, type: 'payment.failed' }, new Date());
    expect((await Promise.all(payIds.map((id) => deliveries.get(id)))).map((x) => x!.channel).sort()).toEqual(['email', 'telegram']);
  });

  it('records a delivery once per event × channel × destination, whatever the repeats', async () => {
    const d = makeDispatcher('b');
    const user = `u-${Date.now()}-once`;
    chats.chats.set(user, ['200', '201']);
    const ev = { ...fill(user, 1), type: 'order.rejected' as const, failure: true };
    const first = await d.dispatch('evt-once', ev, new Date());
    const again = await d.dispatch('evt-once', ev, new Date());
    expect(first).toHaveLength(2);
    expect(again.sort()).toEqual([...first].sort());
    // Attempts from two "replicas" at once: one of them gets each delivery.
    const other = makeDispatcher('c');
    await Promise.all([...first.map((id) => d.attempt(id)), ...first.map((id) => other.attempt(id))]);
    expect(telegram.sent.map((s) => s.to).sort()).toEqual(['200', '201']);
    expect(await d.dispatch('evt-once', ev, new Date())).toEqual([]);
  });

  it('moves to a migrated chat and stops at a blocked one', async () => {
    const d = makeDispatcher('d');
    const user = `u-${Date.now()}-gone`;
    chats.chats.set(user, ['-300', '301']);
    telegram.script = [{ kind: 'gone', reason: 'migrated', movedTo: '-100300' }, { kind: 'delivered' }, { kind: 'gone', reason: 'blocked', statusCode: 403 }];
    const ev = { ...fill(user, 1), type: 'signal.rejected' as const, failure: true };
    const ids = await d.dispatch('evt-gone', ev, new Date());
    for (const id of ids) await d.attempt(id);
    expect(telegram.sent.map((s) => s.to)).toEqual(['-300', '-100300', '301']);
    const docs = await Promise.all(ids.map((id) => deliveries.get(id)));
    expect(docs.map((x) => [x!.destination, x!.address, x!.status, x!.attempts.map((a) => a.outcome)])).toEqual([
      ['-300', '-100300', 'delivered', ['gone', 'delivered']],
      ['301', '301', 'gone', ['gone']],
    ]);
    expect(chats.chats.get(user)).toEqual(['-100300']);
  });

  it('retries with backoff and honours afterMs', async () => {
    const d = makeDispatcher('e');
    const user = `u-${Date.now()}-retry`;
    chats.chats.set(user, ['400']);
    telegram.script = [{ kind: 'retry', reason: 'http_429', afterMs: 1_000, statusCode: 429 }];
    const [id] = await d.dispatch('evt-retry', { ...fill(user, 1), type: 'order.failed', failure: true }, new Date());
    const after = await d.attempt(id!);
    expect(after).toMatchObject({ status: 'pending', attempts: [expect.objectContaining({ outcome: 'retry', statusCode: 429 })] });
    expect(after!.nextAttemptAt.getTime() - after!.attempts[0]!.at.getTime()).toBeGreaterThanOrEqual(1_000);
    expect(await d.attempt(id!)).toBeNull(); // not due yet
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await d.attempt(id!)).toMatchObject({ status: 'delivered' });
  });

  it('folds the fills after the threshold into one digest per minute', async () => {
    const d = makeDispatcher('f');
    const user = `u-${Date.now()}-digest`;
    chats.chats.set(user, ['500']);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000); // a minute that is over
    const direct: string[] = [];
    for (let i = 1; i <= 6; i++) direct.push(...(await d.dispatch(`evt-fill-${i}`, fill(user, i), new Date(minute.getTime() + i * 1000))));
    // A redelivered fill lands in the same place.
    direct.push(...(await d.dispatch('evt-fill-5', fill(user, 5), new Date(minute.getTime() + 5000))));
    expect(direct).toHaveLength(3);
    const digest = (await deliveries.docs.find({ userId: user, eventId: { $regex: '^digest:' } }).toArray());
    expect(digest).toHaveLength(1);
    const sent = await d.attempt(digest[0]!._id);
    expect(sent).toMatchObject({ status: 'delivered' });
    expect(telegram.sent.at(-1)!.n).toMatchObject({ title: '3 more fills at ' + minute.toISOString().slice(11, 16) + ' UTC', text: expect.stringContaining('BUY 6') });
    expect(telegram.sent.at(-1)!.n.text.split('\n')).toHaveLength(3);
  });
});
