import type * as http from 'node:http';
import { listen, readBody, sendJson, type TestServer } from './http-server';

/** A message the bot sent, as the fake received it. */
export interface FakeTelegramSentMessage {
  messageId: number;
  chatId: string;
  /** Text as sent (HTML source when parse_mode is HTML). */
  text: string;
  /** What the user would see: tags removed, entities decoded. */
  visibleText: string;
  parseMode?: string;
  disableNotification: boolean;
  linkPreviewDisabled: boolean;
  /** Date.now() when the fake accepted it. */
  at: number;
}

/** Every call, for tests that count attempts (the token is not recorded). */
export interface FakeTelegramCall {
  method: string;
  at: number;
  status: number;
  chatId?: string;
}

interface FakeUpdate {
  update_id: number;
  message: Record<string, unknown>;
}

type Fault = { status: number; body: Record<string, unknown> };

/** Tags Telegram's HTML parse mode knows (core.telegram.org/bots/api#html-style). */
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const MAX_TEXT = 4096;

/**
 * The Telegram Bot API as the notifications service uses it, over real HTTP with the real
 * paths (`/bot<token>/<method>`), envelopes (`{ok, result}` / `{ok:false, error_code,
 * description, parameters}`) and error texts. It parses HTML like Telegram (an unknown or
 * unbalanced tag is a 400 "can't parse entities"), counts the 4096 limit after parsing,
 * long-polls getUpdates with offset confirmation, and lets tests block or migrate chats
 * and inject 429s, 5xx and 409s.
 */
export class FakeTelegram {
  readonly sent: FakeTelegramSentMessage[] = [];
  readonly calls: FakeTelegramCall[] = [];
  readonly botId: number;
  private server?: TestServer;
  private nextUpdateId = 700_000_000;
  private nextMessageId = 1;
  private updates: FakeUpdate[] = [];
  private readonly blocked = new Set<string>();
  private readonly migrated = new Map<string, string>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly delays = new Map<string, number[]>();
  private pollWaiters: Array<{ wake: (reason: 'update' | 'conflict') => void }> = [];

  constructor(
    readonly token: string,
    readonly botUsername = 'tbot_alerts_bot',
  ) {
    this.botId = Number(/^(\d+):/.exec(token)?.[1] ?? 123456789);
  }

  /** Base URL to use as TELEGRAM_API_BASE (the client appends /bot<token>/<method>). */
  get url(): string {
    if (!this.server) throw new Error('FakeTelegram not started');
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await listen((req, res) => {
      void this.route(req, res).catch((err: Error) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${err.message}` });
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.pollWaiters.splice(0)) w.wake('update');
    await this.server?.close();
  }

  // ---- test controls ----

  /** A user writes to the bot, e.g. `/start <code>`; returns the update id. */
  enqueueMessage(chatId: string | number, text: string, opts: { chatType?: 'private' | 'group' | 'supergroup'; fromId?: number } = {}): number {
    const id = this.nextUpdateId++;
    const chatIdNum = Number(chatId);
    const chatType = opts.chatType ?? (chatIdNum < 0 ? 'group' : 'private');
    const fromId = opts.fromId ?? (chatIdNum > 0 ? chatIdNum : 424242);
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
    this.updates.push({
      update_id: id,
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: chatType === 'private' ? { id: chatIdNum, type: 'private', first_name: 'Trader' } : { id: chatIdNum, type: chatType, title: 'Trading desk' },
        from: { id: fromId, is_bot: false, first_name: 'Trader', language_code: 'en' },
        text,
        ...(entities ? { entities } : {}),
      },
    });
    this.wakePollers('update');
    return id;
  }

  /** The user blocked the bot (or, for a group, kicked it): sends get 403. */
  blockChat(chatId: string | number): void {
    this.blocked.add(String(chatId));
  }

  unblockChat(chatId: string | number): void {
    this.blocked.delete(String(chatId));
  }

  /** The group became a supergroup: sends to the old id get 400 with migrate_to_chat_id. */
  migrateChat(fromChatId: string | number, toChatId: string | number): void {
    this.migrated.set(String(fromChatId), String(toChatId));
  }

  /** The next n calls of `method` get 429 with parameters.retry_after. */
  rateLimitNext(n: number, retryAfterSec: number, method = 'sendMessage'): void {
    this.addFaults(method, n, {
      status: 429,
      body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterSec}`, parameters: { retry_after: retryAfterSec } },
    });
  }

  /** The next n calls of `method` get a 5xx (Telegram's front answers 502 when the backend is away). */
  serverErrorNext(n: number, status = 502, method = 'sendMessage'): void {
    this.addFaults(method, n, { status, body: { ok: false, error_code: status, description: status === 502 ? 'Bad Gateway' : 'Internal Server Error' } });
  }

  /**
   * The next n calls of `method` are carried out at once (a message is sent) but answered
   * only after delayMs: Telegram accepted it and the answer is late, the window in which a
   * sender that dies cannot know it was delivered.
   */
  delayNext(n: number, delayMs: number, method = 'sendMessage'): void {
    const list = this.delays.get(method) ?? [];
    for (let i = 0; i < n; i++) list.push(delayMs);
    this.delays.set(method, list);
  }

  /** The next n getUpdates get 409, as when a webhook is set or another instance polls. */
  conflictNext(n: number): void {
    this.addFaults('getUpdates', n, {
      status: 409,
      body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' },
    });
  }

  messagesTo(chatId: string | number): FakeTelegramSentMessage[] {
    return this.sent.filter((m) => m.chatId === String(chatId));
  }

  callsOf(method: string): FakeTelegramCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Updates not yet confirmed by a getUpdates with a higher offset. */
  get pendingUpdates(): number {
    return this.updates.length;
  }

  /** Resolves when a message to chatId has been sent (count of them), or rejects after timeoutMs. */
  async waitForMessages(chatId: string | number, count = 1, timeoutMs = 10_000): Promise<FakeTelegramSentMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.messagesTo(chatId);
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`FakeTelegram: ${got.length}/${count} messages to ${chatId} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- HTTP ----

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const raw = await readBody(req);
    const method = m?.[2] ?? '';
    const reply = (status: number, body: Record<string, unknown>, chatId?: string) => {
      this.calls.push({ method, at: Date.now(), status, ...(chatId !== undefined ? { chatId } : {}) });
      sendJson(res, status, body);
    };
    if (!m) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (decodeURIComponent(m[1]!) !== this.token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    let params: Record<string, unknown>;
    try {
      params = readParams(req, url, raw);
    } catch {
      return reply(400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON object" });
    }
    const chatId = params.chat_id === undefined ? undefined : String(params.chat_id);
    const fault = this.faults.get(method)?.shift();
    if (fault) return reply(fault.status, fault.body, chatId);
    switch (method) {
      case 'getMe':
        return reply(200, {
          ok: true,
          result: { id: this.botId, is_bot: true, first_name: 'Alerts', username: this.botUsername, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false },
        });
      case 'sendMessage': {
        const r = this.sendMessage(params);
        const delay = this.delays.get(method)?.shift();
        if (delay) {
          // Ends early when the client is gone (killed): no timer outlives the test.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            res.once('close', () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        if (res.destroyed) return;
        return reply(r.status, r.body, chatId);
      }
      case 'getUpdates':
        return this.getUpdates(params, res, reply);
      default:
        return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    }
  }

  private sendMessage(p: Record<string, unknown>): Fault {
    const bad = (description: string, parameters?: Record<string, unknown>): Fault => ({
      status: 400,
      body: { ok: false, error_code: 400, description: `Bad Request: ${description}`, ...(parameters ? { parameters } : {}) },
    });
    if (p.chat_id === undefined || p.chat_id === '') return bad('chat_id is empty');
    const chatId = String(p.chat_id);
    if (this.blocked.has(chatId)) return { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } };
    const movedTo = this.migrated.get(chatId);
    if (movedTo !== undefined) return bad('group chat was upgraded to a supergroup chat', { migrate_to_chat_id: Number(movedTo) });
    if (!/^-?\d+$/.test(chatId)) return bad('chat not found');
    const text = typeof p.text === 'string' ? p.text : '';
    const parseMode = typeof p.parse_mode === 'string' ? p.parse_mode : undefined;
    let visibleText = text;
    if (parseMode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) return bad(`can't parse entities: ${parsed.error}`);
      visibleText = parsed.text;
    } else if (parseMode === 'MarkdownV2') {
      const reserved = markdownV2ReservedCharacter(text);
      if (reserved) return bad(`can't parse entities: Character '${reserved}' is reserved and must be escaped with the preceding '\\'`);
    } else if (parseMode !== undefined && parseMode !== 'Markdown') {
      return bad('unsupported parse_mode');
    }
    if (!visibleText.trim()) return bad('message text is empty');
    if (visibleText.length > MAX_TEXT) return bad('message is too long');
    const preview = p.link_preview_options as { is_disabled?: unknown } | undefined;
    const message: FakeTelegramSentMessage = {
      messageId: this.nextMessageId++,
      chatId,
      text,
      visibleText,
      ...(parseMode ? { parseMode } : {}),
      disableNotification: p.disable_notification === true || p.disable_notification === 'true',
      linkPreviewDisabled: preview?.is_disabled === true || p.disable_web_page_preview === true,
      at: Date.now(),
    };
    this.sent.push(message);
    const chatNum = Number(chatId);
    return {
      status: 200,
      body: {
        ok: true,
        result: {
          message_id: message.messageId,
          from: { id: this.botId, is_bot: true, first_name: 'Alerts', username: this.botUsername },
          chat: chatNum < 0 ? { id: chatNum, type: 'group', title: 'Trading desk' } : { id: chatNum, type: 'private', first_name: 'Trader' },
          date: Math.floor(message.at / 1000),
          text: visibleText,
        },
      },
    };
  }

  private getUpdates(
    p: Record<string, unknown>,
    res: http.ServerResponse,
    reply: (status: number, body: Record<string, unknown>) => void,
  ): void {
    const offset = p.offset === undefined ? undefined : Number(p.offset);
    const limit = Math.min(100, Math.max(1, p.limit === undefined ? 100 : Number(p.limit)));
    const timeoutSec = Math.max(0, p.timeout === undefined ? 0 : Number(p.timeout));
    // "An update is considered confirmed as soon as getUpdates is called with an offset
    // higher than its update_id": confirmed updates are forgotten for good.
    // That holds for updates arriving while the request waits, too.
    const confirm = () => {
      if (offset !== undefined && offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
    };
    confirm();
    // Only one long poll at a time: a new one ends the one waiting with 409, as Telegram does.
    this.wakePollers('conflict');
    const ready = () => {
      confirm();
      return this.updates.slice(0, limit);
    };
    if (ready().length || timeoutSec === 0) return reply(200, { ok: true, result: ready() });
    let finished = false;
    const waiter = {
      wake: (reason: 'update' | 'conflict') => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.pollWaiters = this.pollWaiters.filter((w) => w !== waiter);
        if (reason === 'conflict') {
          return reply(409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
        }
        reply(200, { ok: true, result: ready() });
      },
    };
    const timer = setTimeout(() => waiter.wake('update'), timeoutSec * 1000);
    this.pollWaiters.push(waiter);
    // The client gave up (aborted for shutdown): nobody to answer.
    res.on('close', () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.pollWaiters = this.pollWaiters.filter((w) => w !== waiter);
    });
  }

  private wakePollers(reason: 'update' | 'conflict'): void {
    for (const w of [...this.pollWaiters]) w.wake(reason);
  }

  private addFaults(method: string, n: number, fault: Fault): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < n; i++) list.push(fault);
    this.faults.set(method, list);
  }
}

/** Bot API parameters come as a query string, JSON or a urlencoded form. */
function readParams(req: http.IncomingMessage, url: URL, raw: Buffer): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (!raw.length) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return { ...params, ...(JSON.parse(raw.toString()) as Record<string, unknown>) };
  if (type.includes('application/x-www-form-urlencoded')) return { ...params, ...Object.fromEntries(new URLSearchParams(raw.toString())) };
  return params;
}

/**
 * Telegram's HTML parse mode, as strict as the real one where it matters: only the
 * documented tags, every tag closed in order, `&lt; &gt; &amp; &quot;` and numeric
 * entities decoded (an `&` that starts no entity stays as text, as Telegram keeps it).
 * Error texts and byte offsets follow Telegram's ("Unsupported start tag \"script\" at
 * byte offset 0").
 */
export function parseTelegramHtml(html: string): { ok: true; text: string } | { ok: false; error: string } {
  const stack: string[] = [];
  let text = '';
  const byteOffset = (i: number) => Buffer.byteLength(html.slice(0, i));
  for (let i = 0; i < html.length; ) {
    const c = html[i]!;
    if (c === '&') {
      const ent = /^&(lt|gt|amp|quot|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(html.slice(i, i + 12));
      if (ent) {
        const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
        text += named[ent[1]!] ?? String.fromCodePoint(ent[2] ? Number(ent[2]) : parseInt(ent[3]!, 16));
        i += ent[0].length;
      } else {
        text += '&';
        i++;
      }
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const end = html.indexOf('>', i);
    if (end < 0) return { ok: false, error: `Can't find end of the tag starting at byte offset ${byteOffset(i)}` };
    const inner = html.slice(i + 1, end);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (open === undefined) return { ok: false, error: `Unexpected end tag at byte offset ${byteOffset(i)}` };
      if (name && name !== open) return { ok: false, error: `Unmatched end tag at byte offset ${byteOffset(i)}, expected "</${open}>", found "</${name}>"` };
    } else {
      const name = (/^[A-Za-z][A-Za-z0-9-]*/.exec(inner)?.[0] ?? '').toLowerCase();
      if (!HTML_TAGS.has(name)) return { ok: false, error: `Unsupported start tag "${name || inner}" at byte offset ${byteOffset(i)}` };
      stack.push(name);
    }
    i = end + 1;
  }
  if (stack.length) return { ok: false, error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { ok: true, text };
}

/**
 * The MarkdownV2 trap, enough to show it: characters that are never markup (`-`, `.`,
 * `!`, `=`, `+`, `#`, `|`, `{`, `}`) must be backslash-escaped, so `BTC-USDT-SWAP` fails.
 */
function markdownV2ReservedCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if ('-.!=+#|{}'.includes(text[i]!)) return text[i];
  }
  return undefined;
}
