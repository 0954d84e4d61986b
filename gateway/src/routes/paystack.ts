import { PAYSTACK_EVENT_TYPES, paystackEventKey, type Logger } from '@tbot/common';
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { requireUser, type AuthedRequest } from '../auth';
import type { TokenVerifier } from '../token-verifier';
import type { RpcClients } from '../rpc-clients';
import type { GatewayConfig } from '../config';
import { sendError, sendRpcError } from '../http-errors';
import type { Metrics } from '../metrics';
import { rateLimit, type RateLimiters } from '../rate-limit';
import { verifyPaystackSignature } from '../webhook-signatures/paystack';
import { headerValue, webhookRoute, type Ingest, type IntakeLimits, type WebhookRoute } from './webhook';

const paystackEventShape = z.object({
  event: z.string().min(1).max(100),
  // An object for most events; a list for some (subscription.expiring_cards).
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
});

// Starts with a letter or digit: `.` and `..` would reach other Paystack endpoints once
// the reference is put into a verify URL.
const referenceSchema = z.string().regex(/^[A-Za-z0-9][\w.=-]{0,99}$/);

/** POST /api/payments/paystack/webhook (served without Express, see webhook.ts). */
export function paystackWebhook(config: GatewayConfig, ingest: Ingest, metrics: Metrics, logger: Logger, limits: IntakeLimits): WebhookRoute {
  const secret = config.PAYSTACK_SECRET_KEY;
  return webhookRoute(
    '/api/payments/paystack/webhook',
    {
      provider: 'paystack',
      knownTypes: PAYSTACK_EVENT_TYPES,
      unconfigured: () => (secret ? undefined : 'PAYSTACK_SECRET_KEY is not set'),
      verify: (headers, raw) => verifyPaystackSignature(raw, headerValue(headers['x-paystack-signature']), secret!),
      identify: (body, raw) => {
        const parsed = paystackEventShape.safeParse(body);
        return parsed.success ? { type: parsed.data.event, eventKey: paystackEventKey(parsed.data, raw) } : undefined;
      },
    },
    ingest,
    metrics,
    logger,
    limits,
  );
}

export function paystackRoutes(config: GatewayConfig, clients: RpcClients, metrics: Metrics, logger: Logger, limiters: RateLimiters, verifyUser: TokenVerifier | undefined): Router {
  const router = Router();
  const secret = config.PAYSTACK_SECRET_KEY;
  const notConfigured = (res: Response) => sendError(res, 503, 'not_configured', 'PAYSTACK_SECRET_KEY is not set');

  const perUser = limiters.create('paystack-user', config.USER_RATE_LIMIT_PER_MINUTE);
  router.post(
    '/initialize',
    requireUser(verifyUser, logger),
    rateLimit(perUser, (req) => (req as AuthedRequest).userId),
    express.json({ limit: '16kb' }),
    async (req: AuthedRequest, res) => {
      const body = z.object({ plan: z.string().min(1).max(40) }).safeParse(req.body ?? {});
      if (!body.success) return sendError(res, 400, 'invalid_request', z.prettifyError(body.error));
      // Never built from the Host header: a client chooses that.
      const base = config.PUBLIC_BASE_URL;
      if (!base) return sendError(res, 503, 'not_configured', 'PUBLIC_BASE_URL is not set');
      try {
        const r = await clients.billing.initializePaystackPayment({
          userId: req.userId!,
          plan: body.data.plan,
          callbackUrl: new URL('/api/payments/paystack/callback', base).toString(),
        });
        res.json({ authorization_url: r.authorizationUrl, reference: r.reference });
      } catch (err) {
        sendRpcError(res, err);
      }
    },
  );

  // Paystack sends the payer's browser here with ?trxref=…&reference=…
  router.get('/callback', async (req, res) => {
    const reference = referenceSchema.safeParse(req.query.reference ?? req.query.trxref);
    if (!reference.success) return sendError(res, 400, 'invalid_reference', 'reference is missing or malformed');
    const finish = (ok: boolean, status: string) => {
      const target = ok ? config.PAYSTACK_SUCCESS_URL : config.PAYSTACK_FAILURE_URL;
      if (!target) {
        return res.status(ok ? 200 : 402).json({ status: ok ? 'success' : 'failed', payment_status: status, reference: reference.data });
      }
      const url = new URL(target);
      url.searchParams.set('reference', reference.data);
      if (!ok) url.searchParams.set('status', status);
      return res.redirect(302, url.toString());
    };
    try {
      const r = await clients.billing.verifyPaystackPayment({ reference: reference.data });
      logger.info({ reference: reference.data, paid: r.paid, payment_status: r.paymentStatus }, 'paystack callback verified');
      // Paid at Paystack but not for what the plan costs (amount, currency): not accepted.
      return finish(r.paid, r.paid || r.paymentStatus !== 'success' ? r.paymentStatus : 'not_accepted');
    } catch (err) {
      logger.error({ err, reference: reference.data }, 'paystack callback could not be verified');
      // The charge.success webhook still applies the payment; the payer learns it is pending.
      if (config.PAYSTACK_FAILURE_URL) return finish(false, 'verification_pending');
      return sendRpcError(res, err);
    }
  });
  return router;
}
