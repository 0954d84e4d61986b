import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type JetStreamClient, type NatsConnection } from 'nats';
import { SubmitSignalRequestSchema, SubmitSignalResponseSchema, type SubmitSignalRequest, type SubmitSignalResponse } from './gen/trading/v1/trading_pb.js';
import { ensureStream, publishEvent } from './nats';

/**
 * The durable intake of TradingView alerts. The gateway stores each alert here (a
 * SubmitSignalRequest, binary) and waits a bounded time for the trading service's answer
 * on its own inbox; the trading service takes alerts through a durable pull consumer at the
 * pace its database allows. So a candle-close burst is answered in time (202 once stored)
 * however long execution takes, and an alert stored while the trading service is down or
 * restarting is executed when it is back. The gateway and trading must agree on this file.
 */
export const ALERT_STREAM = 'ALERTS';
export const ALERT_SUBJECT = 'alerts.tradingview';
export const ALERT_SUBJECTS = ['alerts.>'];
/** Durable consumer the trading service executes alerts through. */
export const ALERT_CONSUMER = 'trading-alerts';
/** Where the trading service publishes its answer (a SubmitSignalResponse, binary): the gateway's inbox. */
export const ALERT_REPLY_HEADER = 'Alert-Reply-To';

/** Kept a day: an operator can still see what came in, and nothing older is executed anyway. */
export async function ensureAlertStream(nc: NatsConnection): Promise<void> {
  await ensureStream(nc, ALERT_STREAM, ALERT_SUBJECTS, { maxAgeMs: 24 * 3_600_000 });
}

/**
 * Stores one alert; resolves once JetStream has it. `msgId` is the gateway's request id, so
 * a publish retried after a lost ack is stored once (the trading service de-duplicates
 * repeated alerts by their content anyway).
 */
export function publishAlert(
  js: JetStreamClient,
  request: Omit<SubmitSignalRequest, '$typeName'>,
  opts: { msgId: string; replyTo?: string; timeoutMs: number },
): Promise<{ duplicate: boolean; seq: number }> {
  const data = toBinary(SubmitSignalRequestSchema, create(SubmitSignalRequestSchema, request));
  return publishEvent(js, ALERT_SUBJECT, data, opts.msgId, {
    timeoutMs: opts.timeoutMs,
    ...(opts.replyTo ? { headers: { [ALERT_REPLY_HEADER]: opts.replyTo } } : {}),
  });
}

export const decodeAlert = (data: Uint8Array): SubmitSignalRequest => fromBinary(SubmitSignalRequestSchema, data);

/** The trading service's answer to one alert, on the subject the gateway named. */
export function publishAlertAnswer(nc: NatsConnection, replyTo: string, answer: Omit<SubmitSignalResponse, '$typeName'>): void {
  nc.publish(replyTo, toBinary(SubmitSignalResponseSchema, create(SubmitSignalResponseSchema, answer)));
}

export const decodeAlertAnswer = (data: Uint8Array): SubmitSignalResponse => fromBinary(SubmitSignalResponseSchema, data);
