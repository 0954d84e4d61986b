import type { Logger } from '@tbot/common';
import type { Attempt, Channel, DeliveryOutcome, Destination, Notification } from '../../channel';
import { checkTargetUrl } from './address-guard';
import type { EndpointDoc, WebhookEndpoints } from './endpoints';
import { postOnce } from './http-post';
import { classifyResponse } from './response';
import { signatureHeader } from './signature';

export interface WebhookChannelOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  allowPrivateTargets: boolean;
  /** An endpoint failing this long without one success is disabled. */
  disableAfterFailingMs: number;
  /** Called once when an endpoint is disabled for failing (the owner is told through the other channels). */
  onDisabled: (endpoint: EndpointDoc, reason: 'failing') => Promise<void>;
}

/** The body: Standard Webhooks' recommended envelope (type, timestamp, data) plus the rendered words. */
export function webhookPayload(n: Notification): string {
  return JSON.stringify({ type: n.type, timestamp: n.occurredAt.toISOString(), event_id: n.eventId, title: n.title, text: n.text, data: n.data });
}

/**
 * Outbound webhooks, signed per the Standard Webhooks spec. webhook-id is the delivery id
 * (the same on every attempt, so a receiver can drop a repeat), webhook-timestamp the
 * attempt's time. The channel also keeps the endpoint's health: a success ends a run of
 * failures, and a run longer than `disableAfterFailingMs` disables the endpoint.
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;

  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly opts: WebhookChannelOptions,
    private readonly logger: Logger,
  ) {}

  async send(destination: Destination, n: Notification, attempt: Attempt): Promise<DeliveryOutcome> {
    const ep = await this.endpoints.get(destination.address);
    if (!ep || !ep.enabled) return { kind: 'gone', reason: ep?.disabledReason ? `endpoint_${ep.disabledReason}` : 'endpoint_missing' };
    const outcome = await this.post(ep, webhookPayload(n), attempt.deliveryId);
    const disabled = await this.track(ep, outcome);
    return disabled ? { kind: 'gone', reason: 'endpoint_failing', ...(outcome.statusCode ? { statusCode: outcome.statusCode } : {}) } : outcome;
  }

  /** One signed POST; also what TestWebhookEndpoint sends. */
  async post(ep: EndpointDoc, body: string, webhookId: string, now = new Date()): Promise<DeliveryOutcome> {
    if (Buffer.byteLength(body) > this.opts.maxBodyBytes) return { kind: 'failed', reason: 'body_too_large' };
    const target = checkTargetUrl(ep.url, this.opts.allowPrivateTargets);
    if (!target.ok) return { kind: 'failed', reason: target.code };
    const ts = Math.floor(now.getTime() / 1000);
    let secrets: string[];
    try {
      secrets = this.endpoints.signingSecrets(ep, now);
    } catch {
      // A secret no configured master key opens (the key was dropped too early): no signature
      // can be made, and retrying will not help until the operator restores the key. Not
      // 'failed' for the endpoint: its next deliveries work once the key is back.
      this.logger.error({ endpoint_id: ep._id }, 'webhook endpoint secret cannot be opened with NOTIFICATIONS_MASTER_KEY');
      return { kind: 'retry', reason: 'secret_unreadable' };
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'tbot-notifications/1 (Standard Webhooks)',
      'webhook-id': webhookId,
      'webhook-timestamp': String(ts),
      'webhook-signature': signatureHeader(secrets, webhookId, ts, body),
    };
    const r = await postOnce(target.url, headers, body, { timeoutMs: this.opts.timeoutMs, allowPrivate: this.opts.allowPrivateTargets });
    switch (r.kind) {
      case 'answered':
        return classifyResponse(r.status, r.retryAfter);
      case 'timeout':
        return { kind: 'retry', reason: 'timeout' };
      case 'network':
        return { kind: 'retry', reason: `connection_error:${r.message}` };
      case 'private_target':
        // DNS may change back; the attempt is refused, not the endpoint.
        return { kind: 'retry', reason: 'private_target' };
    }
  }

  /** Keeps the endpoint's run of failures; true when this failure disabled it. */
  private async track(ep: EndpointDoc, outcome: DeliveryOutcome): Promise<boolean> {
    if (outcome.kind === 'delivered') {
      await this.endpoints.markHealthy(ep);
      return false;
    }
    if (outcome.kind !== 'retry') return false;
    const now = new Date();
    const since = await this.endpoints.markFailing(ep, now);
    if (now.getTime() - since.getTime() < this.opts.disableAfterFailingMs) return false;
    const disabled = await this.endpoints.disable(ep._id, 'failing');
    if (!disabled) return true; // another replica did it
    this.logger.warn({ endpoint_id: ep._id, user_id: ep.userId, failing_since: since }, 'webhook endpoint disabled after failing too long');
    await this.opts.onDisabled(disabled, 'failing').catch((err: unknown) => this.logger.error({ err, endpoint_id: ep._id }, 'could not notify the owner of a disabled endpoint'));
    return true;
  }

  async close(): Promise<void> {
    // Nothing pooled: one connection per attempt.
  }
}
