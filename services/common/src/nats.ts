import { SpanStatusCode } from '@opentelemetry/api';
import {
  connect,
  createInbox,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type NatsConnection,
} from 'nats';
import type { Logger } from './logger';
import { startPublishSpan } from './telemetry/nats-tracing';

const connected = new WeakSet<NatsConnection>();
const inboxPrefixes = new WeakMap<NatsConnection, string>();

/** True while the connection is up (not closed, draining or reconnecting). */
export function isNatsConnected(nc: NatsConnection): boolean {
  return connected.has(nc) && !nc.isClosed() && !nc.isDraining();
}

/** NATS_USER and NATS_PASSWORD as configured (both or neither). */
export interface NatsCredentials {
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
}

/**
 * Connects with endless reconnects: a NATS restart must not take a service down.
 * With credentials, the connection's reply inboxes are `_INBOX_<name>.…`, so the server can
 * let each service read only its own replies (deploy/nats/auth.conf). Neither the
 * password nor the URL's userinfo is ever logged.
 */
export async function connectNats(url: string, name: string, logger: Logger, credentials: NatsCredentials = {}): Promise<NatsConnection> {
  const { NATS_USER: user, NATS_PASSWORD: pass } = credentials;
  if (Boolean(user) !== Boolean(pass)) throw new Error('NATS_USER and NATS_PASSWORD must be set together');
  const nc = await connect({
    servers: url.split(','),
    name,
    ...(user && pass ? { user, pass, inboxPrefix: natsInboxPrefix(name) } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    timeout: 5000,
    // Otherwise every publish and request captures a stack trace in case it fails: a few
    // percent of the gateway's CPU per webhook. Errors still say what failed.
    noAsyncTraces: true,
  });
  connected.add(nc);
  inboxPrefixes.set(nc, user && pass ? natsInboxPrefix(name) : '_INBOX');
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'error') {
        connected.delete(nc);
        logger.warn({ nats: status.type }, 'NATS connection problem');
      } else if (status.type === 'reconnect') {
        connected.add(nc);
        logger.info('NATS reconnected');
      }
    }
  })();
  logger.info({ server: nc.getServer(), user: user ?? null }, 'connected to NATS');
  return nc;
}

/**
 * A new subject under the connection's own reply inbox: with credentials only this service
 * may subscribe there, so answers addressed to it stay private.
 */
export function newInbox(nc: NatsConnection): string {
  return createInbox(inboxPrefixes.get(nc) ?? '_INBOX');
}

/** Where a service's replies (JetStream acks, API answers) arrive; auth.conf lets only it subscribe there. */
export const natsInboxPrefix = (service: string) => `_INBOX_${service}`;

/**
 * Creates the stream or brings its subjects up to date. The duplicate window is what
 * makes `msgID` de-duplication work across publisher retries.
 */
export async function ensureStream(
  nc: NatsConnection,
  name: string,
  subjects: string[],
  opts: { maxAgeMs?: number; duplicateWindowMs?: number } = {},
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const maxAge = (opts.maxAgeMs ?? 7 * 24 * 60 * 60 * 1000) * 1_000_000; // nanoseconds
  const config = {
    name,
    subjects,
    // Limits (not work-queue) retention: messages stay after they are acked, so they can
    // be re-delivered for a replay until max_age.
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: (opts.duplicateWindowMs ?? 2 * 60 * 1000) * 1_000_000,
    max_age: maxAge,
  };
  try {
    const info = await jsm.streams.info(name);
    const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
    if (missing.length > 0 || info.config.max_age !== maxAge) {
      await jsm.streams.update(name, {
        ...info.config,
        subjects: [...(info.config.subjects ?? []), ...missing],
        max_age: maxAge,
      });
    }
  } catch (err) {
    if ((err as { code?: string }).code !== '404') throw err;
    await jsm.streams.add(config);
  }
}

/**
 * Publishes to JetStream inside a PRODUCER span with the trace context in the headers.
 * `msgId` lets JetStream drop a re-publish of the same event within the duplicate window.
 */
export async function publishEvent(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  msgId: string,
  opts: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ duplicate: boolean; seq: number }> {
  const { span, headers } = startPublishSpan(subject);
  span.setAttribute('messaging.message.id', msgId);
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers.set(k, v);
  try {
    const ack = await js.publish(subject, data, { msgID: msgId, headers, timeout: opts.timeoutMs ?? 5000 });
    return { duplicate: ack.duplicate, seq: ack.seq };
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
