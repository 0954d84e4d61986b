import { STRIPE_EVENT_TYPES, stripeEventKey, type Logger } from '@tbot/common';
import express, { Router } from 'express';
import { z } from 'zod';
import { requireUser, type AuthedRequest } from '../auth';
import type { TokenVerifier } from '../token-verifier';
import type { RpcClients } from '../rpc-clients';
import type { GatewayConfig } from '../config';
import { sendError, sendRpcError } from '../http-errors';
import type { Metrics } from '../metrics';
import { rateLimit, type RateLimiters } from '../rate-limit';
import { verifyStripeSignature } from '../webhook-signatures/stripe';
import { headerValue, webhookRoute, type Ingest, type IntakeLimits, type WebhookRoute } from './webhook';

const stripeEventShape = z.object({
  id: z.string().regex(/^evt_\w+$/),
  type: z.string().min(1).max(100),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const checkoutBody = z.object({
  plan: z.string().min(1).max(40),
  success_url: z.url({ protocol: /^https?$/ }).optional(),
  cancel_url: z.url({ protocol: /^https?$/ }).optional(),
});

/** POST /api/payments/stripe/webhook (served without Express, see webhook.ts). */
export function stripeWebhook(config: GatewayConfig, ingest: Ingest, metrics: Metrics, logger: Logger, limits: IntakeLimits): WebhookRoute {
  const secrets = config.STRIPE_WEBHOOK_SECRET ?? [];
  return webhookRoute(
    '/api/payments/stripe/webhook',
    {
      provider: 'stripe',
      knownTypes: STRIPE_EVENT_TYPES,
      unconfigured: () => (secrets.length === 0 ? 'STRIPE_WEBHOOK_SECRET is not set' : undefined),
      verify: (headers, raw) =>
        verifyStripeSignature(raw, headerValue(headers['stripe-signature']), secrets, config.STRIPE_WEBHOOK_TOLERANCE_SECONDS),
      identify: (body) => {
        const parsed = stripeEventShape.safeParse(body);
        return parsed.success ? { type: parsed.data.type, eventKey: stripeEventKey(parsed.data.id) } : undefined;
      },
    },
    ingest,
    metrics,
    logger,
    limits,
  );
}

export function stripeRoutes(config: GatewayConfig, clients: RpcClients, metrics: Metrics, logger: Logger, limiters: RateLimiters, verifyUser: TokenVerifier | undefined): Router {
  const router = Router();

  const allowedOrigins = new Set(
    [...config.ALLOWED_REDIRECT_ORIGINS, config.CHECKOUT_SUCCESS_URL, config.CHECKOUT_CANCEL_URL].flatMap((u) => (u ? [new URL(u).origin] : [])),
  );
  const perUser = limiters.create('stripe-user', config.USER_RATE_LIMIT_PER_MINUTE);
  router.post(
    '/create-checkout',
    requireUser(verifyUser, logger),
    rateLimit(perUser, (req) => (req as AuthedRequest).userId),
    express.json({ limit: '16kb' }),
    async (req: AuthedRequest, res) => {
      const body = checkoutBody.safeParse(req.body ?? {});
      if (!body.success) {
        return sendError(res, 400, 'invalid_request', z.prettifyError(body.error));
      }
      // A client-chosen return URL elsewhere would let anyone use our checkout to send a
      // payer to their page: only allowed origins.
      for (const [field, value] of [['success_url', body.data.success_url], ['cancel_url', body.data.cancel_url]] as const) {
        if (value !== undefined && !allowedOrigins.has(new URL(value).origin)) {
          return sendError(res, 400, 'redirect_not_allowed', `${field}: ${new URL(value).origin} is not in ALLOWED_REDIRECT_ORIGINS`);
        }
      }
      const successUrl = body.data.success_url ?? config.CHECKOUT_SUCCESS_URL;
      const cancelUrl = body.data.cancel_url ?? config.CHECKOUT_CANCEL_URL;
      if (!successUrl || !cancelUrl) {
        return sendError(res, 400, 'missing_redirect_url', 'send success_url and cancel_url (no defaults are configured)');
      }
      try {
        const session = await clients.billing.createStripeCheckoutSession({
          userId: req.userId!,
          plan: body.data.plan,
          successUrl,
          cancelUrl,
        });
        res.json({ session_id: session.sessionId, url: session.url });
      } catch (err) {
        sendRpcError(res, err);
      }
    },
  );
  return router;
}
