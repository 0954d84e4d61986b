import type { Logger } from '@tbot/common';
import type mongoose from 'mongoose';
import type { BotApiClient, BotUser, TelegramUpdate } from './bot-api';
import type { TelegramRateLimiter } from './rate-limiter';
import { hashLinkCode, LINK_CODE_TTL_MS, looksLikeLinkCode, newLinkCode, parseBotCommand } from './link-codes';

/** One chat bound to one user. `_id` is `<chatId>/<userId>`: a chat id never holds a "/". */
interface LinkDoc {
  _id: string;
  userId: string;
  chatId: string;
  linkedAt: Date;
  movedFrom?: string;
}

/** A pending or used link code; `_id` is the code's SHA-256, never the code. */
interface CodeDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date;
  /** The chat that used it: lets the same chat finish a binding a crash interrupted. */
  chatId?: string;
}

export interface LinkCode {
  code: string;
  expiresAt: Date;
  /** `https://t.me/<bot>?start=<code>`: opens the bot with the code ready to send. */
  deepLink: string;
}

/** What an update did (for logs and tests). */
export type UpdateResult =
  | { kind: 'linked'; chatId: string; userId: string }
  | { kind: 'already-linked'; chatId: string; userId: string }
  | { kind: 'code-refused'; chatId: string; why: 'unknown' | 'expired' | 'used' }
  | { kind: 'start-without-code'; chatId: string }
  | { kind: 'stopped'; chatId: string; unbound: number }
  | { kind: 'migrated'; chatId: string; to: string }
  | { kind: 'ignored' };

export interface TelegramLinksOptions {
  api: BotApiClient;
  logger: Logger;
  /** Replies share the channel's limiter (TelegramChannel.limiter) so they count against the same flood limits. */
  limiter?: TelegramRateLimiter;
  now?: () => Date;
}

const REPLIES = {
  linked: 'Connected. Trading and billing notifications for your account will arrive in this chat. Send /stop to turn them off here.',
  alreadyLinked: 'This chat is already connected to your account.',
  refused: 'Sorry, this link code is not valid any more (codes work once and for 15 minutes). Please create a new link in the app and open it again.',
  noCode: 'Hello! To receive notifications here, open the Telegram link from the notification settings in the app.',
  stopped: 'Done: this chat will not receive notifications any more. Open a new link from the app to connect it again.',
} as const;

const LINKS = 'telegram_links';
const CODES = 'telegram_link_codes';

/**
 * Which Telegram chats belong to which user, and the one-time codes that bind them: the
 * user asks the app for a code, opens the deep link, Telegram sends `/start <code>` from
 * the chat, and `handleUpdate` binds that chat to the code's user, once.
 */
export class TelegramLinks {
  private readonly api: BotApiClient;
  private readonly limiter: TelegramRateLimiter | undefined;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private me?: Promise<BotUser>;
  private links?: mongoose.mongo.Collection<LinkDoc>;
  private codes?: mongoose.mongo.Collection<CodeDoc>;

  constructor(
    private readonly conn: mongoose.Connection,
    opts: TelegramLinksOptions,
  ) {
    this.api = opts.api;
    this.limiter = opts.limiter;
    this.logger = opts.logger.child({ component: 'telegram-links' });
    this.now = opts.now ?? (() => new Date());
  }

  async init(): Promise<void> {
    const db = this.conn.db;
    if (!db) throw new Error('TelegramLinks.init: MongoDB connection is not open');
    this.links = db.collection<LinkDoc>(LINKS);
    this.codes = db.collection<CodeDoc>(CODES);
    await this.links.createIndex({ userId: 1 });
    await this.links.createIndex({ chatId: 1 });
    await this.codes.createIndex({ expiresAt: 1 });
  }

  /** The bot's username from getMe, asked once per process (it only changes via BotFather). */
  async botUsername(): Promise<string> {
    this.me ??= this.fetchMe();
    try {
      const me = await this.me;
      if (!me.username) throw new Error('Telegram getMe returned no username');
      return me.username;
    } catch (err) {
      // Do not cache a failure: the next call asks again.
      this.me = undefined;
      throw err;
    }
  }

  async createCode(userId: string): Promise<LinkCode> {
    const username = await this.botUsername();
    const code = newLinkCode();
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + LINK_CODE_TTL_MS);
    await this.col().codes.insertOne({ _id: hashLinkCode(code), userId, createdAt, expiresAt });
    // Codes expired for a day are of no use even to explain a refusal; keep the collection small.
    await this.col().codes.deleteMany({ expiresAt: { $lt: new Date(createdAt.getTime() - 86_400_000) } });
    return { code, expiresAt, deepLink: `https://t.me/${username}?start=${code}` };
  }

  async chatsFor(userId: string): Promise<string[]> {
    const docs = await this.col().links.find({ userId }).toArray();
    return docs.map((d) => d.chatId).sort();
  }

  /** The user removes one chat (from the app). */
  async unlink(userId: string, chatId: string): Promise<boolean> {
    const r = await this.col().links.deleteOne({ _id: linkId(chatId, userId) });
    return r.deletedCount > 0;
  }

  /** The chat is gone (403 blocked/kicked, /stop): no user gets messages there any more. */
  async unbindChat(chatId: string): Promise<number> {
    const r = await this.col().links.deleteMany({ chatId });
    if (r.deletedCount) this.logger.info({ chatId, unbound: r.deletedCount }, 'telegram chat unbound');
    return r.deletedCount;
  }

  /**
   * A group became a supergroup and has a new id (400 with migrate_to_chat_id, or the
   * migration service message). Every binding moves; running it twice is harmless.
   */
  async moveChat(fromChatId: string, toChatId: string): Promise<number> {
    const { links } = this.col();
    const docs = await links.find({ chatId: fromChatId }).toArray();
    for (const d of docs) {
      // Insert the new binding before removing the old one: a crash in between leaves
      // both, never neither.
      await links.updateOne(
        { _id: linkId(toChatId, d.userId) },
        { $setOnInsert: { userId: d.userId, chatId: toChatId, linkedAt: d.linkedAt, movedFrom: fromChatId } },
        { upsert: true },
      );
      await links.deleteOne({ _id: d._id });
    }
    if (docs.length) this.logger.info({ fromChatId, toChatId, moved: docs.length }, 'telegram chat moved');
    return docs.length;
  }

  /**
   * Handles one update from getUpdates or the webhook. Safe to run twice for the same
   * update (a crash before the offset was saved): the code is consumed once, and a second
   * run from the same chat only re-confirms.
   */
  async handleUpdate(update: TelegramUpdate): Promise<UpdateResult> {
    const msg = update.message;
    if (!msg) return { kind: 'ignored' };
    const chatId = String(msg.chat.id);
    if (msg.migrate_to_chat_id !== undefined) {
      const to = String(msg.migrate_to_chat_id);
      await this.moveChat(chatId, to);
      return { kind: 'migrated', chatId, to };
    }
    let username: string | undefined;
    try {
      username = await this.botUsername();
    } catch {
      // Without the username `/start@Other` cannot be told from ours; plain commands still work.
      username = undefined;
    }
    const command = parseBotCommand(msg.text, username);
    if (!command) return { kind: 'ignored' };
    if (command.command === 'stop') {
      const unbound = await this.unbindChat(chatId);
      await this.reply(chatId, REPLIES.stopped);
      return { kind: 'stopped', chatId, unbound };
    }
    if (!command.payload) {
      await this.reply(chatId, REPLIES.noCode);
      return { kind: 'start-without-code', chatId };
    }
    return this.redeem(chatId, command.payload);
  }

  private async redeem(chatId: string, code: string): Promise<UpdateResult> {
    const { codes, links } = this.col();
    const now = this.now();
    const hash = looksLikeLinkCode(code) ? hashLinkCode(code) : undefined;
    // The one atomic step: of two chats racing with the same code, one gets the document.
    const claimed = hash
      ? await codes.findOneAndUpdate(
          { _id: hash, usedAt: { $exists: false }, expiresAt: { $gt: now } },
          { $set: { usedAt: now, chatId } },
          { returnDocument: 'after' },
        )
      : null;
    let userId: string;
    let kind: 'linked' | 'already-linked';
    if (claimed) {
      userId = claimed.userId;
      kind = 'linked';
    } else {
      const existing = hash ? await codes.findOne({ _id: hash }) : null;
      if (!existing || !existing.usedAt || existing.chatId !== chatId) {
        const why = !existing ? 'unknown' : existing.usedAt ? 'used' : 'expired';
        this.logger.info({ chatId, why }, 'telegram link code refused');
        await this.reply(chatId, REPLIES.refused);
        return { kind: 'code-refused', chatId, why };
      }
      // The same chat sends the code again (or the update is handled again after a crash):
      // finish the binding if it was not written, bind nothing new.
      userId = existing.userId;
      kind = 'already-linked';
    }
    const r = await links.updateOne(
      { _id: linkId(chatId, userId) },
      { $setOnInsert: { userId, chatId, linkedAt: now } },
      { upsert: true },
    );
    if (r.upsertedCount) this.logger.info({ chatId, userId }, 'telegram chat linked');
    await this.reply(chatId, kind === 'linked' ? REPLIES.linked : REPLIES.alreadyLinked);
    return { kind, chatId, userId };
  }

  /** Replies are courtesy: a failure is logged, the binding stands. */
  private async reply(chatId: string, text: string): Promise<void> {
    let release: (() => void) | undefined;
    try {
      release = await this.limiter?.acquire(chatId);
      const answer = await this.api.call('sendMessage', { chat_id: chatId, text, link_preview_options: { is_disabled: true } });
      if (!answer.body?.ok) this.logger.warn({ chatId, status: answer.status, description: answer.body?.description }, 'telegram reply refused');
    } catch (err) {
      this.logger.warn({ chatId, err: (err as Error).message }, 'telegram reply failed');
    } finally {
      release?.();
    }
  }

  private async fetchMe(): Promise<BotUser> {
    const answer = await this.api.call<BotUser>('getMe', {});
    if (answer.status !== 200 || !answer.body?.ok || !answer.body.result) {
      throw new Error(`Telegram getMe failed: ${answer.body?.description ?? `HTTP ${answer.status}`}`);
    }
    return answer.body.result;
  }

  private col(): { links: mongoose.mongo.Collection<LinkDoc>; codes: mongoose.mongo.Collection<CodeDoc> } {
    if (!this.links || !this.codes) throw new Error('TelegramLinks used before init()');
    return { links: this.links, codes: this.codes };
  }
}

function linkId(chatId: string, userId: string): string {
  return `${chatId}/${userId}`;
}
