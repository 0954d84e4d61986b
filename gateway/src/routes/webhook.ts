import { publishWebhook, type Logger, type WebhookProvider } from '@tbot/common';
import type { Request, Response } from 'express';
import type { JetStreamClient } from 'nats';
import { sendError } from '../http-errors';
import { eventTypeLabel, type Metrics } from '../metrics';
import type { SignatureFailure } from '../webhook-signatures/stripe';

export interface WebhookSpec {
  provider: WebhookProvider;
  knownTypes: readonly string[];
  /** Checks the signature over the raw bytes. */
  verify(req: Request, raw: Buffer): { ok: true } | { ok: false; reason: SignatureFailure };
  /**
   * The event type and its ledger key (`<provider>:<event key>`), or undefined when the
   * verified body is not an event of this provider.
   */
  identify(body: unknown, raw: Buffer): { type: string; eventKey: string } | undefined;
}

export interface Ingest {
  js: JetStreamClient;
  publishTimeoutMs: number;
}

/** Seconds a provider should wait before resending when we could not store its event. */
const RETRY_AFTER_SECONDS = '30';

/**
 * One flow for every provider: verify the signature over the raw bytes, check the body is
 * an event, store it in the WEBHOOKS stream and answer as soon as JetStream has it
 * (billing applies it from there). Every answer but a 2xx makes the provider resend, so
 * 4xx only for what a resend cannot fix, and 503 when the event could not be stored.
 */
export function webhookHandler(spec: WebhookSpec, ingest: Ingest, metrics: Metrics, logger: Logger) {
  return async (req: Request, res: Response) => {
    const stop = metrics.webhookDuration.startTimer({ provider: spec.provider });
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let type: string | undefined;
    let outcome = 'rejected';
    try {
      const sig = spec.verify(req, raw);
      if (!sig.ok) {
        metrics.signatureFailures.inc({ provider: spec.provider, reason: sig.reason });
        logger.warn({ provider: spec.provider, reason: sig.reason, ip: req.ip }, 'webhook signature rejected');
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
        const ack = await publishWebhook(ingest.js, { provider: spec.provider, type: id.type, eventKey: id.eventKey, raw }, {
          timeoutMs: ingest.publishTimeoutMs,
        });
        outcome = ack.duplicate ? 'duplicate' : 'accepted';
        logger.info({ provider: spec.provider, event_type: type, event_key: id.eventKey, seq: ack.seq, duplicate: ack.duplicate }, 'webhook stored');
        res.status(200).json({ status: 'accepted', event_id: id.eventKey, duplicate: ack.duplicate });
      } catch (err) {
        // Not stored (JetStream down or no PubAck in time): the provider must resend.
        outcome = 'unavailable';
        metrics.publishFailures.inc({ provider: spec.provider });
        logger.error({ err, provider: spec.provider, event_type: type, event_key: id.eventKey }, 'webhook could not be stored');
        res.set('Retry-After', RETRY_AFTER_SECONDS);
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
  };
}
