/**
 * The few Bot API calls the channel makes, over fetch. The token is part of every URL
 * (`/bot<token>/<method>`), so anything that leaves this module (errors, their causes,
 * descriptions) passes through `redact` first: a stack trace in a log must not hand out
 * the bot.
 */

/** The envelope of every Bot API answer. */
export interface BotApiResponse<T = unknown> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** An answer as it came: HTTP status and the parsed envelope (undefined if not JSON). */
export interface RawBotApiAnswer<T = unknown> {
  status: number;
  body: BotApiResponse<T> | undefined;
}

/** The call never got an answer: network error, timeout or abort. Message has no token. */
export class BotApiTransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'aborted',
  ) {
    super(message);
    this.name = 'BotApiTransportError';
  }
}

export interface BotUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface TelegramChat {
  id: number;
  type: string;
  title?: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: TelegramChat;
  from?: { id: number; is_bot: boolean; first_name: string; username?: string };
  text?: string;
  migrate_to_chat_id?: number;
  migrate_from_chat_id?: number;
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
}

export interface BotApiClientOptions {
  token: string;
  apiBase?: string;
  timeoutMs?: number;
}

export class BotApiClient {
  readonly apiBase: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(opts: BotApiClientOptions) {
    if (!opts.token) throw new Error('Telegram bot token is empty');
    this.token = opts.token;
    this.apiBase = (opts.apiBase ?? 'https://api.telegram.org').replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /**
   * POSTs JSON to a method and returns the answer whatever its status; throws only
   * BotApiTransportError (no answer). `timeoutMs` overrides the default (long polls need
   * their poll timeout plus a margin).
   */
  async call<T>(method: string, params: Record<string, unknown>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RawBotApiAnswer<T>> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.apiBase}/bot${this.token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw new BotApiTransportError(`Telegram ${method}: aborted`, 'aborted');
      if (timeout.aborted) throw new BotApiTransportError(`Telegram ${method}: no answer within ${opts.timeoutMs ?? this.timeoutMs} ms`, 'timeout');
      throw new BotApiTransportError(`Telegram ${method}: ${this.redact(describe(err))}`, 'network');
    }
    let body: BotApiResponse<T> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      body = parsed && typeof parsed === 'object' ? (parsed as BotApiResponse<T>) : undefined;
    } catch {
      body = undefined;
    }
    if (body?.description) body.description = this.redact(body.description);
    return { status: res.status, body };
  }

  /** Removes the token (as is and URL-encoded) from text bound for a log or an error. */
  redact(text: string): string {
    return text.split(this.token).join('<token>').split(encodeURIComponent(this.token)).join('<token>');
  }
}

/** An error's message and its causes' (fetch puts the useful part, e.g. ECONNREFUSED, in `cause`). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const x = e as { message?: unknown; code?: unknown; cause?: unknown };
    parts.push([typeof x.code === 'string' ? x.code : '', typeof x.message === 'string' ? x.message : String(e)].filter(Boolean).join(' '));
    e = x.cause;
  }
  return parts.join(': ');
}
