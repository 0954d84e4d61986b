import { Code, ConnectError } from '@connectrpc/connect';
import type { ServerResponse } from 'node:http';

/**
 * Every error answer has the same shape: `{"error":"<machine-readable code>","message":"…"}`.
 * Written with node:http's own API so Express routes and the webhook routes (served
 * without Express) answer alike. Request validation failures add `fields`: one message per
 * bad field path.
 */
export function sendError(res: ServerResponse, status: number, code: string, message: string, fields?: Record<string, string>): void {
  const text = JSON.stringify(fields ? { error: code, message, fields } : { error: code, message });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Seconds a webhook sender should wait before retrying when we could not take its event. */
const RETRY_AFTER_SECONDS = '30';

/**
 * Maps an internal RPC failure to an HTTP answer. Caller mistakes become 4xx; our own
 * unavailability becomes 503/504 so webhook senders retry later.
 */
export function sendRpcError(res: ServerResponse, err: unknown): void {
  const ce = ConnectError.from(err);
  switch (ce.code) {
    case Code.InvalidArgument:
      // Billing names the precise problem (e.g. unknown_plan) in the error-code trailer,
      // notifications in x-error-reason (e.g. invalid_token).
      return sendError(res, 400, ce.metadata.get('error-code') ?? ce.metadata.get('x-error-reason') ?? 'invalid_request', ce.rawMessage);
    case Code.NotFound:
      return sendError(res, 404, 'not_found', ce.rawMessage);
    case Code.AlreadyExists:
      return sendError(res, 409, 'already_exists', ce.rawMessage);
    case Code.FailedPrecondition:
      return sendError(res, 409, 'failed_precondition', ce.rawMessage);
    case Code.PermissionDenied:
      return sendError(res, 403, 'forbidden', ce.rawMessage);
    case Code.Unauthenticated:
      return sendError(res, 401, 'unauthenticated', ce.rawMessage);
    case Code.ResourceExhausted:
      return sendError(res, 429, 'rate_limited', ce.rawMessage);
    case Code.DeadlineExceeded:
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      return sendError(res, 504, 'upstream_timeout', 'an internal service did not answer in time');
    default:
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      return sendError(res, 503, 'upstream_unavailable', 'an internal service is unavailable; retry later');
  }
}
