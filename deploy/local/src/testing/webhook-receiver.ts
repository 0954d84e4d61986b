import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { listen, readBody, type TestServer } from './http-server';

/**
 * A receiver of outbound webhooks that checks them as the Standard Webhooks specification
 * tells a consumer to (https://www.standardwebhooks.com, "Verifying webhook authenticity"),
 * written from the spec and not from the service's signer, so a signer that drifts from the
 * spec fails the tests:
 * - the signed content is `${webhook-id}.${webhook-timestamp}.${raw body}`;
 * - the key is the base64 decoding of the secret after its `whsec_` prefix;
 * - webhook-signature is a space-delimited list of `<version>,<base64 signature>`; only
 *   `v1` (HMAC-SHA256) is considered, and any one of them matching is enough;
 * - the timestamp (integer seconds) must be within a tolerance of now (replay protection).
 */
export type Verification = { ok: true } | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'no_matching_signature' };

export function verifyStandardWebhook(
  secrets: string[],
  headers: { id?: string; timestamp?: string; signature?: string },
  rawBody: Buffer,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): Verification {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale_timestamp' };
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), rawBody]);
  const offered = signature
    .split(' ')
    .map((part) => part.split(','))
    .filter((p): p is [string, string] => p.length === 2 && p[0] === 'v1')
    .map(([, sig]) => Buffer.from(sig, 'base64'));
  for (const secret of secrets) {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const expected = createHmac('sha256', key).update(content).digest();
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected))) return { ok: true };
  }
  return { ok: false, reason: 'no_matching_signature' };
}

/** One scripted answer; `delayMs` holds the request open first (a slow or hanging receiver). */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { type?: string; event_id?: string; data?: Record<string, unknown>; [k: string]: unknown };
  verification: Verification;
  /** What the receiver answered; 0 while it has not (yet), or when the sender was gone before the answer. */
  status: number;
  traceparent?: string;
  at: Date;
}

/**
 * A webhook endpoint for tests: verifies every request, records it, and answers from a
 * script (e.g. 503, 503, then 200) or with 200. Only verified, 2xx-answered requests count
 * as delivered; `deliveredIds()` counts each webhook-id once per acceptance so duplicates show.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private secrets: string[] = [];
  private script: ScriptedAnswer[] = [];
  private fallback = 200;
  private server?: TestServer;

  async start(): Promise<this> {
    this.server = await listen((req, res) => {
      void readBody(req).then((raw) => {
        const h = (name: string) => headerOf(req.headers, name);
        const verification = verifyStandardWebhook(this.secrets, { id: h('webhook-id'), timestamp: h('webhook-timestamp'), signature: h('webhook-signature') }, raw);
        const next = verification.ok ? this.script.shift() : undefined;
        // A request that does not verify is refused the way a real receiver would.
        const status = verification.ok ? (next?.status ?? this.fallback) : 401;
        let json: ReceivedWebhook['json'] = {};
        try {
          json = JSON.parse(raw.toString('utf8')) as ReceivedWebhook['json'];
        } catch {
          // recorded as is
        }
        const entry: ReceivedWebhook = {
          id: h('webhook-id') ?? '',
          timestamp: h('webhook-timestamp') ?? '',
          signature: h('webhook-signature') ?? '',
          body: raw.toString('utf8'),
          json,
          verification,
          status: 0,
          ...(h('traceparent') ? { traceparent: h('traceparent') } : {}),
          at: new Date(),
        };
        this.received.push(entry);
        const answer = () => {
          // The sender went away first (it was killed, or timed out): it never saw an answer.
          if (res.destroyed || req.socket.destroyed) return;
          entry.status = status;
          res.writeHead(status, { 'content-type': 'text/plain', ...next?.headers });
          res.end(status < 300 ? 'ok' : 'no');
        };
        if (next?.delayMs) setTimeout(answer, next.delayMs).unref();
        else answer();
      });
    });
    return this;
  }

  get url(): string {
    if (!this.server) throw new Error('receiver not started');
    return this.server.url;
  }

  /** The secrets a request may be signed with (what the endpoint's owner configured). */
  setSecrets(secrets: string[]): void {
    this.secrets = secrets;
  }

  /** The next answers, in order; then `fallback` (200 unless set). */
  respond(statuses: Array<number | ScriptedAnswer>, fallback = 200): void {
    this.script = statuses.map((s) => (typeof s === 'number' ? { status: s } : s));
    this.fallback = fallback;
  }

  /** Requests accepted (verified and answered 2xx). */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((r) => r.verification.ok && r.status >= 200 && r.status < 300);
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
