import type { Logger } from '@tbot/common';
import express, { Router, type Request, type Response } from 'express';
import { sendError, sendRpcError } from '../http-errors';
import type { RpcClients } from '../rpc-clients';
import { confirmPage, donePage, looksLikeUnsubscribeToken } from './unsubscribe-page';

/** The token is a credential in the URL: no caching, no referrer, nothing but the form. */
function sendHtml(res: Response, status: number, html: string): void {
  res.status(status);
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
  });
  res.send(html);
}

function tokenOf(req: Request, res: Response): string | undefined {
  const token = req.query.token;
  if (looksLikeUnsubscribeToken(token)) return token;
  sendError(res, 400, 'invalid_token', 'token is missing or is not an unsubscribe token');
  return undefined;
}

/**
 * /api/notifications/unsubscribe?token=…, the List-Unsubscribe link of every notification
 * email. No session: the signed token is the proof, and notifications checks it.
 * - GET shows a confirmation page and changes nothing (scanners open links).
 * - POST with `List-Unsubscribe=One-Click` (RFC 8058 §3.2, what Gmail and others send, and
 *   the page's button) turns email off for the token's event type.
 */
export function notificationRoutes(clients: RpcClients, logger: Logger): Router {
  const router = Router();
  router.get('/unsubscribe', (req, res) => {
    const token = tokenOf(req, res);
    if (token) sendHtml(res, 200, confirmPage(token));
  });
  router.post('/unsubscribe', express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 }), async (req: Request, res: Response) => {
    const token = tokenOf(req, res);
    if (!token) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body['List-Unsubscribe'] !== 'One-Click') {
      return sendError(res, 400, 'one_click_required', 'the body must be List-Unsubscribe=One-Click (application/x-www-form-urlencoded)');
    }
    try {
      const r = await clients.notifications.unsubscribe({ token });
      logger.info({ user_id: r.userId, event_type: r.eventType }, 'email unsubscribe');
      sendHtml(res, 200, donePage(r.eventType));
    } catch (err) {
      sendRpcError(res, err);
    }
  });
  return router;
}
