import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setHttpRoute, type Logger, type WebhookMessage, type WebhookProvider } from '@tbot/common';
import { sendError } from '../http-errors';
import { eventTypeLabel, type Metrics } from '../metrics';
import type { RateLimiter } from '../rate-limit';
import type { SignatureFailure } from '../webhook-signatures/stripe';

export interface WebhookSpec {
  provider: WebhookProvider;
  knownTypes: readonly string[];
  /** Why this provider's webhooks cannot be taken at all (its secret is not set), or undefined. */
  unconfigured(): string | undefined;
  /** Checks the signature over the raw bytes. */
  verify(headers: IncomingHttpHeaders, raw: Buffer): { ok: true } | { ok: false; reason: SignatureFailure };
  /**
   * The event type and its ledger key (`<provider>:<event key>`), or undefined when the
   * verified body is not an event of this provider.
   */
  identify(body: unknown, raw: Buffer): { type: string; eventKey: string } | undefined;
}

export interface Ingest {
  /** Stores the event in the WEBHOOKS stream; resolves with JetStream's PubAck, rejects when it was not stored. */
  publish(m: WebhookMessage): Promise<{ duplicate: boolean; seq: number }>;
}

export interface IntakeLimits {
  maxBytes: number;
  /** The per-IP limiter every /api route shares, and how to find the client's address. */
  perIp: RateLimiter;
  clientIp(req: IncomingMessage): string | undefined;
}

/** A request handler on node:http (no framework). */
export type WebhookRoute = (req: IncomingMessage, res: ServerResponse) => void;

/** A header sent once, as Express's req.get() reads it (the first of repeated ones). */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Seconds a provider should wait before resending when we could not store its event. */
const RETRY_AFTER_SECONDS = '30';

/**
 * One flow for every provider: verify the signature over the raw bytes, check the body is
 * an event, store it in the WEBHOOKS stream and answer as soon as JetStream has it
 * (billing applies it from there). Every answer but a 2xx makes the provider resend, so
 * 4xx only for what a resend cannot fix, and 503 when the event could not be stored.
 *
 * Served on node:http directly rather than through Express: this is the route providers
 * hit in bursts, and Express with its tracing instrumentation costs about as much CPU per
 * request as all the rest of the flow. The answers are the same as every other route's.
 */
export function webhookRoute(
  route: string,
  spec: WebhookSpec,
  ingest: Ingest,
  metrics: Metrics,
  logger: Logger,
  limits: IntakeLimits,
): WebhookRoute {
  return (req, res) => {
    setHttpRoute(route);
    void handle(spec, ingest, metrics, logger, limits, req, res).catch((err: unknown) => {
      logger.error({ err, provider: spec.provider }, 'unhandled webhook error');
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'internal error');
    });
  };
}

async function handle(
  spec: WebhookSpec,
  ingest: Ingest,
  metrics: Metrics,
  logger: Logger,
  limits: IntakeLimits,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const ip = limits.clientIp(req);
  const retryAfter = ip ? limits.perIp.hit(ip) : 0;
  if (retryAfter > 0) {
    res.setHeader('Retry-After', String(retryAfter));
    return sendError(res, 429, 'rate_limited', `too many requests; retry in ${retryAfter} s`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    // Providers send plain bodies; a compressed one could not be checked against its signature as sent.
    return refuseAndDrain(req, res, 415, 'unsupported_encoding', `content-encoding ${encoding} is not accepted`);
  }
  const raw = await readBody(req, limits.maxBytes);
  if (raw === 'too_large') return refuseAndDrain(req, res, 413, 'payload_too_large', 'the body is too large');
  if (raw === 'aborted') return;
  const unconfigured = spec.unconfigured();
  if (unconfigured) return sendError(res, 503, 'not_configured', unconfigured);

  const stop = metrics.webhookDuration.startTimer({ provider: spec.provider });
  let type: string | undefined;
  let outcome = 'rejected';
  try {
    const sig = spec.verify(req.headers, raw);
    if (!sig.ok) {
      metrics.signatureFailures.inc({ provider: spec.provider, reason: sig.reason });
      logger.warn({ provider: spec.provider, reason: sig.reason, ip }, 'webhook signature rejected');
      return sendError(res, 400, sig.reason, 'the webhook signature does not verify');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, 'malformed_payload', 'the body is not JSON');
    }
    const id = spec.identify(body, raw);
    if (!id) return sendError(res, 400, 'malformed_payload', `the body is not a ${spec.provider} event`);
    type = id.type;
    try {
      const ack = await ingest.publish({ provider: spec.provider, type: id.type, eventKey: id.eventKey, raw });
      outcome = ack.duplicate ? 'duplicate' : 'accepted';
      logger.info({ provider: spec.provider, event_type: type, event_key: id.eventKey, seq: ack.seq, duplicate: ack.duplicate }, 'webhook stored');
      sendJson(res, 200, { status: 'accepted', event_id: id.eventKey, duplicate: ack.duplicate });
    } catch (err) {
      // Not stored (JetStream down or no PubAck in time): the provider must resend.
      outcome = 'unavailable';
      metrics.publishFailures.inc({ provider: spec.provider });
      logger.error({ err, provider: spec.provider, event_type: type, event_key: id.eventKey }, 'webhook could not be stored');
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      sendError(res, 503, 'ingest_unavailable', 'the event could not be stored; retry later');
    }
  } finally {
    stop();
    metrics.webhooksReceived.inc({
      provider: spec.provider,
      event_type: eventTypeLabel(type, spec.knownTypes),
      outcome,
    });
  }
}

/** The body, up to maxBytes; 'too_large' as soon as it is known to be more. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size > maxBytes ? 'too_large' : Buffer.concat(chunks, size)));
    req.once('error', () => resolve('aborted'));
    req.once('aborted', () => resolve('aborted'));
  });
}

/**
 * Answers at once; the rest of the body is read and dropped meanwhile, up to a bound (then
 * the connection is cut). Closing at once instead would reset the connection under a
 * client still sending, which then never reads the answer.
 */
function refuseAndDrain(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  sendError(res, status, code, message);
  let dropped = 0;
  const cut = () => req.destroy();
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_MAX_BYTES) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** How much of a refused body is read and dropped before the connection is cut. */
const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
const DRAIN_MS = 5_000;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
