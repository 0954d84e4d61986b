import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnChild, type Child, type LineSink } from '../child';
import { findTool, freePort, waitFor } from '../tools';

/**
 * mailpit: a real SMTP server that keeps what it receives and serves it over an HTTP API
 * (https://mailpit.axllent.org/docs/api-v1/), so a test sends through SMTP exactly as
 * production does and reads back what a mail client would see.
 */

export interface MailpitAddress {
  Name: string;
  Address: string;
}

/** One entry of GET /api/v1/messages (newest first). */
export interface MailpitMessageSummary {
  /** mailpit's own id, for the per-message routes. */
  ID: string;
  /** The Message-ID header, without angle brackets. */
  MessageID: string;
  Subject: string;
  From: MailpitAddress | null;
  To: MailpitAddress[] | null;
  Created: string;
  Snippet: string;
  Size: number;
  /** SMTP AUTH user the message was sent with ("" without authentication). */
  Username: string;
}

/** GET /api/v1/message/{ID}: the parsed message. */
export interface MailpitMessage {
  ID: string;
  MessageID: string;
  Subject: string;
  From: MailpitAddress | null;
  To: MailpitAddress[] | null;
  Date: string;
  /** The text/plain part. */
  Text: string;
  /** The text/html part, as sent. */
  HTML: string;
  /** mailpit's reading of List-Unsubscribe and List-Unsubscribe-Post, with its own validation. */
  ListUnsubscribe: { Header: string; HeaderPost: string; Links: string[] | null; Errors: string };
  Username: string;
}

/** GET /api/v1/message/{ID}/headers: every header by name, each with all its values. */
export type MailpitHeaders = Record<string, string[]>;

export interface MailpitChaosTrigger {
  /** SMTP reply code, 400–599. */
  ErrorCode: number;
  /** Percent, 0–100. */
  Probability: number;
}

/** PUT /api/v1/chaos: make SMTP commands fail with a given reply (needs chaos enabled, the default here). */
export interface MailpitChaos {
  Sender?: MailpitChaosTrigger;
  Recipient?: MailpitChaosTrigger;
  Authentication?: MailpitChaosTrigger;
}

export interface StartMailpitOptions {
  /**
   * Only recipients matching this regular expression are accepted; others get
   * `550 5.1.0 Requested action not taken: mailbox unavailable` at RCPT TO.
   */
  allowedRecipients?: string;
  /**
   * Advertise SMTP AUTH and accept any user and password over plain SMTP
   * (`--smtp-auth-accept-any --smtp-auth-allow-insecure`), for clients whose URL carries credentials.
   */
  acceptAnyAuth?: boolean;
  /** Listen for SMTP on this port (e.g. to bring a stopped server back where a client expects it); default a free one. */
  smtpPort?: number;
  sink?: LineSink;
}

export interface Mailpit {
  /** `smtp://127.0.0.1:<port>`, no credentials. */
  smtpUrl: string;
  smtpPort: number;
  /** Base of the HTTP API, e.g. `http://127.0.0.1:<port>`. */
  apiUrl: string;
  child: Child;
  listMessages(): Promise<MailpitMessageSummary[]>;
  getMessage(id: string): Promise<MailpitMessage>;
  getHeaders(id: string): Promise<MailpitHeaders>;
  /** The message source as received (after SMTP dot-unstuffing). */
  getRaw(id: string): Promise<string>;
  /** Resolves once at least `count` messages are stored (newest first); rejects on timeout. */
  waitForMessages(count: number, timeoutMs?: number): Promise<MailpitMessageSummary[]>;
  deleteAllMessages(): Promise<void>;
  setChaos(chaos: MailpitChaos): Promise<void>;
  /** Stops the server and removes its database. */
  stop(): Promise<void>;
}

/** Starts mailpit on free SMTP and HTTP ports, its database in a temporary directory. */
export async function startMailpit(opts: StartMailpitOptions = {}): Promise<Mailpit> {
  const bin = findTool('mailpit', process.env.MAILPIT_BIN);
  if (!bin) throw new Error('mailpit is not installed: run `npm run tools` (builds it with Go into ~/.cache/trading-bot-tools/bin)');
  const [smtpPort, httpPort] = [opts.smtpPort ?? (await freePort()), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailpit-'));
  const child = spawnChild(
    'mailpit',
    bin,
    [
      `--smtp=127.0.0.1:${smtpPort}`,
      `--listen=127.0.0.1:${httpPort}`,
      `--database=${path.join(dataDir, 'mailpit.db')}`,
      // No calls out of the machine: no release check, no reverse DNS of each client.
      '--disable-version-check',
      '--smtp-disable-rdns',
      // Lets a test switch SMTP failures on and off through the API.
      '--enable-chaos',
      '--quiet',
      ...(opts.allowedRecipients !== undefined ? [`--smtp-allowed-recipients=${opts.allowedRecipients}`] : []),
      ...(opts.acceptAnyAuth ? ['--smtp-auth-accept-any', '--smtp-auth-allow-insecure'] : []),
    ],
    { sink: opts.sink ?? (() => undefined) },
  );
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  let exitedEarly = false;
  void child.exited.then(() => {
    exitedEarly = true;
  });
  try {
    await waitFor('mailpit to be ready', async () => {
      if (exitedEarly) throw new Error('mailpit exited during start-up (pass a sink to see its log lines)');
      try {
        return (await fetch(`${apiUrl}/readyz`)).ok;
      } catch {
        return false;
      }
    });
  } catch (err) {
    await child.stop(1000);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const api = async (route: string, init?: RequestInit): Promise<Response> => {
    const res = await fetch(`${apiUrl}${route}`, init);
    if (!res.ok) throw new Error(`mailpit ${init?.method ?? 'GET'} ${route}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  const listMessages = async (): Promise<MailpitMessageSummary[]> => {
    const body = (await (await api('/api/v1/messages?limit=1000')).json()) as { messages: MailpitMessageSummary[] };
    return body.messages;
  };

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    smtpPort,
    apiUrl,
    child,
    listMessages,
    getMessage: async (id) => (await (await api(`/api/v1/message/${encodeURIComponent(id)}`)).json()) as MailpitMessage,
    getHeaders: async (id) => (await (await api(`/api/v1/message/${encodeURIComponent(id)}/headers`)).json()) as MailpitHeaders,
    getRaw: async (id) => (await api(`/api/v1/message/${encodeURIComponent(id)}/raw`)).text(),
    async waitForMessages(count, timeoutMs = 10_000) {
      let messages: MailpitMessageSummary[] = [];
      try {
        await waitFor(`${count} messages in mailpit`, async () => (messages = await listMessages()).length >= count, timeoutMs);
      } catch {
        throw new Error(`mailpit holds ${messages.length} messages after ${timeoutMs} ms, expected ${count}`);
      }
      return messages;
    },
    async deleteAllMessages() {
      // DELETE with no ids in the body deletes every message.
      await api('/api/v1/messages', { method: 'DELETE' });
    },
    async setChaos(chaos) {
      await api('/api/v1/chaos', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chaos) });
    },
    async stop() {
      await child.stop(5000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
