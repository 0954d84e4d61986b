import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@tbot/common';
import { startFerretDB, type Child } from '@tbot/local-stack/dist';
import { FakeTelegram, listen, type TestServer } from '@tbot/local-stack/dist/testing';
import { secretsInLogs } from '@tbot/local-stack/dist/testing/log-secrets';
import mongoose from 'mongoose';
import type { Notification } from '../src/channel';
import { TelegramChannel, TelegramLinks, TelegramUpdatesPoller, type TelegramUpdate } from '../src/channels/telegram';

// The Telegram channel end to end over real HTTP against the fake Bot API, with links and
// the poll offset in a real FerretDB (or TEST_MONGODB_URI).

const TOKEN = '7012345678:AAHk3vQ_fake-Secret-Token-Value_9xZ';
const lines: string[] = [];
const logger = createLogger('telegram-test', 'debug', { write: (s: string) => void lines.push(s) });

function note(title: string, text: string, silent = false): Notification {
  return { eventId: `evt-${Math.random()}`, type: 'order.filled', userId: 'u', occurredAt: new Date(), title, text, data: {}, silent };
}
const attempt = { deliveryId: 'd-1', attempt: 1 };
const tg = (address: string) => ({ channel: 'telegram' as const, address });

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Telegram channel against the fake Bot API and FerretDB', () => {
  let dir: string;
  let ferret: Child | undefined;
  let conn: mongoose.Connection;
  let fake: FakeTelegram;
  let channel: TelegramChannel;
  let links: TelegramLinks;
  const pollers: TelegramUpdatesPoller[] = [];

  const newPoller = (handle: (u: TelegramUpdate) => Promise<unknown> = (u) => links.handleUpdate(u)) => {
    const p = new TelegramUpdatesPoller(conn, { api: channel.api, logger, handle, pollTimeoutSec: 2, backoffMs: 50, maxBackoffMs: 200 });
    pollers.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-telegram-'));
    let uri = process.env.TEST_MONGODB_URI;
    if (!uri) {
      const f = await startFerretDB({ dataDir: path.join(dir, 'ferretdb'), sink: () => undefined });
      ferret = f.child;
      uri = f.uri;
    }
    conn = await mongoose.createConnection(uri, { dbName: `telegram_${Date.now()}` }).asPromise();
    fake = await new FakeTelegram(TOKEN).start();
    channel = new TelegramChannel({ token: TOKEN, apiBase: fake.url, logger });
    links = new TelegramLinks(conn, { api: channel.api, limiter: channel.limiter, logger });
    await links.init();
  });

  afterAll(async () => {
    for (const p of pollers) await p.stop();
    await channel?.close();
    await fake?.stop();
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    await ferret?.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('links a chat with a one-time code received through getUpdates long polling', async () => {
    const { code, deepLink, expiresAt } = await links.createCode('user-1');
    expect(deepLink).toBe(`https://t.me/tbot_alerts_bot?start=${code}`);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    const poller = newPoller();
    poller.start();
    fake.enqueueMessage(1001, `/start ${code}`);
    await waitUntil('chat linked', async () => ((await links.chatsFor('user-1')).length ? true : undefined));
    expect(await links.chatsFor('user-1')).toEqual(['1001']);
    const [reply] = await fake.waitForMessages(1001);
    expect(reply!.text).toMatch(/^Connected/);
    // The code is stored hashed: nothing in the database contains it.
    const stored = JSON.stringify(await conn.db!.collection('telegram_link_codes').find({}).toArray());
    expect(stored).not.toContain(code);

    // Reuse: another chat is refused and binds nothing; the same chat is only re-confirmed.
    fake.enqueueMessage(1002, `/start ${code}`);
    const [refusal] = await fake.waitForMessages(1002);
    expect(refusal!.text).toMatch(/not valid any more/);
    fake.enqueueMessage(1001, `/start ${code}`);
    const replies = await fake.waitForMessages(1001, 2);
    expect(replies[1]!.text).toMatch(/already connected/);
    expect(await links.chatsFor('user-1')).toEqual(['1001']);
    const all = await conn.db!.collection('telegram_links').find({}).toArray();
    expect(all.filter((d) => d.userId === 'user-1')).toHaveLength(1);
    await poller.stop();
  });

  it('refuses unknown and expired codes; accepts /start@BotName in a group; /stop unbinds', async () => {
    expect(await links.handleUpdate(update(-5001, '/start not-a-code'))).toMatchObject({ kind: 'code-refused', why: 'unknown' });
    const { code } = await links.createCode('user-x');
    const later = new TelegramLinks(conn, { api: channel.api, logger, now: () => new Date(Date.now() + 16 * 60_000) });
    await later.init();
    expect(await later.handleUpdate(update(5002, `/start ${code}`))).toMatchObject({ kind: 'code-refused', why: 'expired' });
    expect(await links.chatsFor('user-x')).toEqual([]);

    expect(await links.handleUpdate(update(-5003, `/start@other_bot ${code}`))).toEqual({ kind: 'ignored' });
    expect(await links.handleUpdate(update(-5003, `/start@tbot_alerts_bot ${code}`))).toMatchObject({ kind: 'linked', userId: 'user-x' });
    expect(await links.chatsFor('user-x')).toEqual(['-5003']);
    expect(await links.handleUpdate(update(-5003, '/stop'))).toMatchObject({ kind: 'stopped', unbound: 1 });
    expect(await links.chatsFor('user-x')).toEqual([]);
  });

  it('sends a notification as HTML the user sees verbatim, silent when asked', async () => {
    const outcome = await channel.send(tg('1001'), note('Order filled: BTC-USDT-SWAP', 'Bought 0.5 <contracts> at 64,250.5 & fees _*[]', true), attempt);
    expect(outcome.kind).toBe('delivered');
    const sent = fake.sent.at(-1)!;
    expect(outcome).toEqual({ kind: 'delivered', providerId: String(sent.messageId), statusCode: 200 });
    expect(sent.parseMode).toBe('HTML');
    expect(sent.visibleText).toBe('Order filled: BTC-USDT-SWAP\nBought 0.5 <contracts> at 64,250.5 & fees _*[]');
    expect(sent.disableNotification).toBe(true);
    expect(sent.linkPreviewDisabled).toBe(true);
  });

  it('keeps one message a second per chat', async () => {
    const before = fake.messagesTo(1101).length;
    const outcomes = await Promise.all([1, 2, 3].map((i) => channel.send(tg('1101'), note(`n${i}`, 'x'), attempt)));
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'delivered']);
    const sent = fake.messagesTo(1101).slice(before);
    expect(sent.map((m) => m.visibleText)).toEqual(['n1\nx', 'n2\nx', 'n3\nx']);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(995);
  });

  it('honours retry_after on 429: nothing reaches the chat before it', async () => {
    fake.rateLimitNext(1, 2);
    const first = await channel.send(tg('1201'), note('limited', 'x'), attempt);
    expect(first).toEqual({ kind: 'retry', reason: 'Too Many Requests: retry after 2', afterMs: 2000, statusCode: 429 });
    const limitedAt = fake.callsOf('sendMessage').at(-1)!.at;
    expect(fake.messagesTo(1201)).toHaveLength(0);
    // The dispatcher would wait afterMs; even a caller that does not is held by the limiter.
    const second = await channel.send(tg('1201'), note('limited', 'x'), attempt);
    expect(second.kind).toBe('delivered');
    expect(fake.messagesTo(1201)[0]!.at - limitedAt).toBeGreaterThanOrEqual(1950);
  });

  it('5xx and unreachable → retry; a send that gets no answer in time → retry', async () => {
    fake.serverErrorNext(1, 502);
    expect(await channel.send(tg('1301'), note('a', 'b'), attempt)).toEqual({ kind: 'retry', reason: 'Bad Gateway', statusCode: 502 });
    expect(fake.messagesTo(1301)).toHaveLength(0);

    const silent: TestServer = await listen(() => undefined); // accepts, never answers
    const slow = new TelegramChannel({ token: TOKEN, apiBase: silent.url, logger, timeoutMs: 300 });
    const t0 = Date.now();
    const o = await slow.send(tg('1301'), note('a', 'b'), attempt);
    expect(o.kind).toBe('retry');
    expect(Date.now() - t0).toBeLessThan(3000);
    await slow.close();
    await silent.close();
  });

  it('403 blocked → gone; the chat is then unbound', async () => {
    await links.handleUpdate(update(2001, `/start ${(await links.createCode('user-2')).code}`));
    expect(await links.chatsFor('user-2')).toEqual(['2001']);
    fake.blockChat(2001);
    const o = await channel.send(tg('2001'), note('a', 'b'), attempt);
    expect(o).toEqual({ kind: 'gone', reason: 'Forbidden: bot was blocked by the user', statusCode: 403 });
    await links.unbindChat('2001');
    expect(await links.chatsFor('user-2')).toEqual([]);
  });

  it('group migrated → gone with movedTo; moveChat rebinds and the next send arrives there', async () => {
    await links.handleUpdate(update(-3001, `/start ${(await links.createCode('user-3')).code}`));
    fake.migrateChat(-3001, -1003001);
    const o = await channel.send(tg('-3001'), note('a', 'b'), attempt);
    expect(o).toEqual({ kind: 'gone', reason: 'Bad Request: group chat was upgraded to a supergroup chat', movedTo: '-1003001', statusCode: 400 });
    expect(await links.moveChat('-3001', o.kind === 'gone' ? o.movedTo! : '')).toBe(1);
    expect(await links.moveChat('-3001', '-1003001')).toBe(0); // twice is harmless
    expect(await links.chatsFor('user-3')).toEqual(['-1003001']);
    expect((await channel.send(tg('-1003001'), note('after', 'move'), attempt)).kind).toBe('delivered');
    expect(fake.messagesTo(-1003001).at(-1)!.visibleText).toBe('after\nmove');
  });

  it('a restarted poller does not handle an update again (offset kept in Mongo)', async () => {
    const handled: number[] = [];
    const { code: c1 } = await links.createCode('user-4');
    const a = newPoller(async (u) => {
      await links.handleUpdate(u);
      handled.push(u.update_id);
      // Stop before the next getUpdates: Telegram still holds this update unconfirmed.
      void a.stop();
    });
    a.start();
    const u1 = fake.enqueueMessage(4001, `/start ${c1}`);
    await waitUntil('first poller handled u1', () => (handled.length === 1 ? true : undefined));
    await a.stop();
    expect(fake.pendingUpdates).toBe(1); // not confirmed to Telegram yet: only our stored offset protects it

    const b = newPoller(async (u) => {
      await links.handleUpdate(u);
      handled.push(u.update_id);
    });
    b.start();
    await waitUntil('second poller confirmed u1', () => (fake.pendingUpdates === 0 ? true : undefined));
    const { code: c2 } = await links.createCode('user-4');
    const u2 = fake.enqueueMessage(4002, `/start ${c2}`);
    await waitUntil('second poller handled u2', () => (handled.length === 2 ? true : undefined));
    await b.stop();
    expect(handled).toEqual([u1, u2]);
    expect(await links.chatsFor('user-4')).toEqual(['4001', '4002']);
  });

  it('a stored offset older than Telegram keeps updates is not sent (update ids may restart lower after a quiet week)', async () => {
    const botId = fake.botId;
    // As if the last update was two days ago and Telegram has since restarted its ids lower.
    await conn.db!.collection<{ _id: string; offset: number; updatedAt: Date }>('telegram_poll_state').updateOne(
      { _id: `bot:${botId}` },
      { $set: { offset: 2_000_000_000, updatedAt: new Date(Date.now() - 48 * 3600_000) } },
      { upsert: true },
    );
    const p = newPoller();
    p.start();
    const { code } = await links.createCode('user-7');
    fake.enqueueMessage(7001, `/start ${code}`);
    await waitUntil('linked despite the stale offset', async () => ((await links.chatsFor('user-7')).length ? true : undefined));
    await p.stop();
    const state = await conn.db!.collection<{ _id: string; offset: number }>('telegram_poll_state').findOne({ _id: `bot:${botId}` });
    expect(state!.offset).toBeLessThan(2_000_000_000);
  });

  it('409 Conflict is waited out, not fatal; stop() ends a long poll promptly', async () => {
    fake.conflictNext(3);
    const p = newPoller();
    p.start();
    const { code } = await links.createCode('user-5');
    fake.enqueueMessage(5001, `/start ${code}`);
    await waitUntil('linked after conflicts', async () => ((await links.chatsFor('user-5')).length ? true : undefined));
    expect(fake.callsOf('getUpdates').filter((c) => c.status === 409).length).toBeGreaterThanOrEqual(3);
    expect(p.running).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // now inside a long poll
    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(p.running).toBe(false);
  });

  it('never lets the bot token into logs, errors or outcomes', async () => {
    const wrong = new TelegramChannel({ token: `${TOKEN}x`, apiBase: fake.url, logger });
    const unauthorized = await wrong.send(tg('1001'), note('a', 'b'), attempt);
    expect(unauthorized).toEqual({ kind: 'retry', reason: 'bot token rejected: Unauthorized', statusCode: 401 });
    await wrong.close();
    // fetch puts the whole URL, token included, into "Failed to parse URL from …".
    const broken = new TelegramChannel({ token: TOKEN, apiBase: 'http://exa mple.invalid', logger });
    const o = await broken.send(tg('1001'), note('a', 'b'), attempt);
    expect(o.kind).toBe('retry');
    expect(JSON.stringify(o)).toContain('<token>');
    expect(JSON.stringify(o)).not.toContain(TOKEN);
    await broken.close();
    const failing = new TelegramLinks(conn, { api: broken.api, logger });
    await failing.init();
    const err = await failing.createCode('user-6').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain(TOKEN);
    expect(lines.length).toBeGreaterThan(10);
    expect(secretsInLogs(lines, { TELEGRAM_BOT_TOKEN: TOKEN, tokenSecretPart: TOKEN.split(':')[1]! })).toEqual([]);
  });
});

let nextUpdate = 900_000_000;
function update(chatId: number, text: string): TelegramUpdate {
  return {
    update_id: nextUpdate++,
    message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' }, text },
  };
}
