import type { DeliveryOutcome } from '../../channel';

/**
 * What an endpoint's answer means (pure). 2xx: delivered. 410: the endpoint is gone
 * (disable it). 408, 429, 5xx: try again, no sooner than Retry-After. Any other answer
 * (400, 401, 404, a redirect…) will not change by sending the same message again.
 */
export function classifyResponse(status: number, retryAfter: string | undefined, now: number = Date.now()): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', statusCode: status };
  if (status === 410) return { kind: 'gone', reason: 'http_410', statusCode: status };
  if (status === 408 || status === 429 || status >= 500) {
    const afterMs = retryAfterMs(retryAfter, now);
    return { kind: 'retry', reason: `http_${status}`, statusCode: status, ...(afterMs !== undefined ? { afterMs } : {}) };
  }
  if (status >= 300 && status < 400) return { kind: 'failed', reason: `http_${status}_redirect_not_followed`, statusCode: status };
  return { kind: 'failed', reason: `http_${status}`, statusCode: status };
}

/** Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3); nonsense is ignored. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
