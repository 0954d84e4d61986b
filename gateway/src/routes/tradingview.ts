import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { SignalStatus, type Logger, type SubmitSignalResponse } from '@tbot/common';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { GatewayConfig } from '../config';
import { sendError } from '../http-errors';
import type { Metrics } from '../metrics';
import { rateLimit, type RateLimiters } from '../rate-limit';
import type { AlertIntake } from '../alert-intake';

/** The same checks as the trading service's, so a malformed id never reaches it. */
const userIdSchema = z.uuid();
/** A strategy's id (services/trading/src/strategy-input.ts): stg_ and 128 random bits in hex. */
const STRATEGY_ID = /^stg_[0-9a-f]{32}$/;

/**
 * Whose webhook URL: `/webhook/<strategy id>` is a strategy's; `/webhook/<user id>` and
 * `?user_id=` are the user's default strategy (the URL from before strategies). The two id
 * formats cannot be mistaken for each other.
 */
type Target = { userId: string; strategyId: '' } | { userId: ''; strategyId: string };

function targetOf(req: Request): Target | undefined {
  const fromPath = req.params.id;
  const id = typeof fromPath === 'string' ? fromPath : typeof req.query.user_id === 'string' ? req.query.user_id : undefined;
  if (id === undefined) return undefined;
  if (typeof fromPath === 'string' && STRATEGY_ID.test(id)) return { userId: '', strategyId: id };
  return userIdSchema.safeParse(id).success ? { userId: id, strategyId: '' } : undefined;
}

/** How a refused signal is answered: TradingView resends only on 5xx, so refusals are 4xx. */
const REJECT_STATUS: Record<string, number> = {
  invalid_secret: 401,
  // A deleted strategy's URL (or one that never existed): TradingView must not resend.
  unknown_strategy: 404,
  malformed_alert: 400,
  unresolved_placeholder: 400,
  // Understood, and asks for something not supported (a take-profit ladder, a bot command).
  unsupported_alert: 422,
};

/**
 * TradingView posts the alert message as the body (application/json when it parses,
 * text/plain otherwise), with no headers of its own and a 3 s timeout, and resends only
 * on a 5xx other than 504. So: store the alert in the ALERTS stream first (503 only when
 * that fails, and then nothing was stored), answer with the trading service's outcome if it
 * comes within TRADINGVIEW_WAIT_MS of receipt and 202 otherwise (it executes afterwards,
 * once), and leave de-duplication to the trading service.
 */
export function tradingViewRoutes(config: GatewayConfig, alerts: AlertIntake, metrics: Metrics, logger: Logger, limiters: RateLimiters): Router {
  const router = Router();
  const perIp = limiters.create('tradingview-ip', config.TRADINGVIEW_IP_RATE_LIMIT_PER_MINUTE);
  const perUser = limiters.create('tradingview-user', config.TRADINGVIEW_USER_RATE_LIMIT_PER_MINUTE);
  const allowed = new Set(config.TRADINGVIEW_ALLOWED_IPS);

  const handler = async (req: Request, res: Response) => {
    const stop = metrics.webhookDuration.startTimer({ provider: 'tradingview' });
    let outcome = 'rejected';
    // For the line logged at the end: with the request's trace_id, it is how an operator
    // finds an alert's trace (README, "Find a webhook's trace").
    let logged: { user_id?: string; strategy_id?: string; signal_id?: string } = {};
    try {
      const target = targetOf(req);
      if (!target) {
        return sendError(res, 400, 'malformed_alert', 'use /api/tradingview/webhook/<strategy id>, or /api/tradingview/webhook/<user id> (or ?user_id=…) for your default strategy');
      }
      const { userId, strategyId } = target;
      logged = { user_id: userId || undefined, strategy_id: strategyId || undefined };
      // Per webhook URL (the user's default one, or a strategy's). It counts only alerts that
      // carried the URL's secret: anyone can send junk with someone's id, and that must not
      // lock the user out.
      const limitKey = strategyId || userId;
      const wait = perUser.peek(limitKey);
      if (wait > 0) {
        outcome = 'rate_limited';
        res.set('Retry-After', String(wait));
        return sendError(res, 429, 'rate_limited', `too many alerts for this user; retry in ${wait} s`);
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const receivedAt = (res.locals.receivedAt as Date | undefined) ?? new Date();
      let r: SubmitSignalResponse | undefined;
      try {
        r = await alerts.submit(
          {
            userId,
            strategyId,
            body,
            signature: req.get('x-signature') ?? '',
            sourceIp: req.ip ?? '',
            waitMs: config.TRADINGVIEW_WAIT_MS,
            receivedAt: timestampFromDate(receivedAt),
          },
          // From receipt: time spent waiting for the body or for this process counts too.
          config.TRADINGVIEW_WAIT_MS - (Date.now() - receivedAt.getTime()),
        );
      } catch (err) {
        outcome = 'error';
        logger.error({ err, user_id: userId || undefined, strategy_id: strategyId || undefined }, 'alert not stored: JetStream unavailable');
        // Nothing was stored: a resend is safe (and de-duplicated anyway).
        res.set('Retry-After', '5');
        return sendError(res, 503, 'ingest_unavailable', 'the alert could not be stored; retry later');
      }
      if (!r) {
        // Stored in the ALERTS stream and not executed yet: it will be, once.
        outcome = 'accepted';
        return res.status(202).json({ status: 'accepted' });
      }
      logged.signal_id = r.signalId || undefined;
      if (r.rejectCode !== 'invalid_secret' && r.rejectCode !== 'unknown_strategy') perUser.hit(limitKey);
      switch (r.status) {
        case SignalStatus.EXECUTED:
          outcome = 'executed';
          return res.status(200).json({ status: 'success', trade_id: r.tradeId, signal_id: r.signalId });
        case SignalStatus.ACCEPTED:
          outcome = 'accepted';
          return res.status(202).json({ status: 'accepted', signal_id: r.signalId });
        case SignalStatus.DUPLICATE:
          outcome = 'duplicate';
          return res.status(200).json({ status: 'duplicate', signal_id: r.signalId, ...(r.tradeId ? { trade_id: r.tradeId } : {}) });
        case SignalStatus.FAILED:
          // The order did not go through; a resend would not help, so no 5xx.
          outcome = 'failed';
          return res.status(422).json({ error: r.rejectCode || 'exchange_rejected', message: r.message, signal_id: r.signalId });
        default: {
          outcome = r.rejectCode || 'rejected';
          const status = REJECT_STATUS[r.rejectCode] ?? 422;
          return res.status(status).json({
            error: r.rejectCode || 'rejected',
            message: r.message,
            ...(r.rejectRule ? { rule: r.rejectRule } : {}),
            ...(r.signalId ? { signal_id: r.signalId } : {}),
          });
        }
      }
    } finally {
      stop();
      metrics.webhooksReceived.inc({ provider: 'tradingview', event_type: 'alert', outcome });
      logger.info({ provider: 'tradingview', ...logged, outcome }, 'alert answered');
    }
  };

  // Alerts refused here never reach the trading service (writing each one down would let a
  // flood write to the database); they are counted and logged instead.
  const refused = (outcome: string) => () => metrics.webhooksReceived.inc({ provider: 'tradingview', event_type: 'alert', outcome });
  const tradingViewAddress = (req: Request) => allowed.has((req.ip ?? '').replace(/^::ffff:/, ''));
  const ipAllowList = (req: Request, res: Response, next: () => void) => {
    if (!config.TRADINGVIEW_IP_ALLOWLIST) return next();
    const ip = (req.ip ?? '').replace(/^::ffff:/, '');
    if (tradingViewAddress(req)) return next();
    refused('ip_not_allowed')();
    logger.warn({ ip }, 'TradingView alert from an address not on the allow-list');
    return sendError(res, 403, 'ip_not_allowed', 'this address may not send alerts');
  };

  const received = (_req: Request, res: Response, next: () => void) => {
    res.locals.receivedAt = new Date();
    next();
  };
  const chain = [
    received,
    ipAllowList,
    // TradingView's own addresses are shared by every trader: limiting them per address
    // would let one trader's alerts use up everyone's.
    rateLimit(perIp, (req) => (tradingViewAddress(req) ? undefined : req.ip), refused('rate_limited')),
    // As sent: a signature (X-Signature) is over the bytes on the wire, and TradingView never compresses.
    express.raw({ type: () => true, limit: config.TRADINGVIEW_MAX_BYTES, inflate: false }),
    handler,
  ];
  router.post('/webhook', ...chain);
  router.post('/webhook/:id', ...chain);
  return router;
}
