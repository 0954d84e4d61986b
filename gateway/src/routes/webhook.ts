import { Outcome, type Logger } from '@tbot/common';
import type { Request, Response } from 'express';
import { sendError, sendRpcError } from '../http-errors';
import { eventTypeLabel, type Metrics } from '../metrics';
import type { SignatureFailure } from '../webhook-signatures/stripe';

const OUTCOME_NAMES: Record<Outcome, string> = {
  [Outcome.UNSPECIFIED]: 'unspecified',
  [Outcome.APPLIED]: 'applied',
  [Outcome.DUPLICATE]: 'duplicate',
  [Outcome.STALE]: 'stale',
  [Outcome.IGNORED]: 'ignored',
  [Outcome.UNMATCHED]: 'unmatched',
};

export const outcomeName = (o: Outcome) => OUTCOME_NAMES[o] ?? 'unspecified';

export interface WebhookSpec {
  provider: 'stripe' | 'paystack';
  knownTypes: readonly string[];
  /** Checks the signature over the raw bytes. */
  verify(req: Request, raw: Buffer): { ok: true } | { ok: false; reason: SignatureFailure };
  /** The event type, or undefined when the verified body is not an event of this provider. */
  eventType(body: unknown): string | undefined;
  apply(raw: Buffer): Promise<{ outcome: Outcome; userId: string; detail: string }>;
}

/**
 * One flow for every provider: verify the signature over the raw bytes, check the body is
 * an event, hand it to billing, count it. Every answer but a 2xx makes the provider retry,
 * so 4xx only for what a retry cannot fix and 503 when we could not apply it.
 */
export function webhookHandler(spec: WebhookSpec, metrics: Metrics, logger: Logger) {
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
      type = spec.eventType(body);
      if (!type) return sendError(res, 400, 'malformed_payload', `the body is not a ${spec.provider} event`);
      try {
        const result = await spec.apply(raw);
        outcome = outcomeName(result.outcome);
        logger.info(
          { provider: spec.provider, event_type: type, outcome, user_id: result.userId || undefined, detail: result.detail || undefined },
          'webhook processed',
        );
        res.status(200).json({ status: 'success', outcome });
      } catch (err) {
        outcome = 'error';
        logger.error({ err, provider: spec.provider, event_type: type }, 'webhook could not be applied');
        sendRpcError(res, err);
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
