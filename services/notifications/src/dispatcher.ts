import { createHash } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentTrace, type Logger } from '@tbot/common';
import { nextRetry, type BackoffPolicy } from './backoff';
import type { CataloguedEvent } from './catalogue';
import type { Channel, ChannelName, DeliveryOutcome, Notification } from './channel';
import type { Contacts } from './contacts';
import { Deliveries, type DeliveryDoc, type DeliveryStatus, type StoredNotification } from './deliveries';
import type { DestinationSource } from './destinations';
import { DIGEST_CHANNELS, DIGEST_TYPE, digestEventId, minuteOf, renderDigest, type FillDigests } from './digest';
import type { NotificationMetrics } from './metrics';
import type { PreferenceStore } from './preference-store';
import { decide, modeFor } from './preferences';

const tracer = trace.getTracer('@tbot/notifications');

/** 12 hex characters of SHA-256: enough to tell a user's destinations apart in a trace, not to recover one. */
export const destinationHash = (address: string): string => createHash('sha256').update(`notification-destination:${address}`).digest('hex').slice(0, 12);

export interface DispatcherOptions {
  /** This replica's name in claims (host + pid). */
  owner: string;
  /** How long a claim holds: longer than any channel's timeout. */
  leaseMs: number;
  backoff: BackoffPolicy;
  /** Fills per user and minute sent one by one before the rest fold into a digest. */
  digestThreshold: number;
}

export interface DispatcherDeps {
  deliveries: Deliveries;
  preferences: PreferenceStore;
  contacts: Contacts;
  digests: FillDigests;
  /** Only the channels configured in this process (no TELEGRAM_BOT_TOKEN: no telegram). */
  channels: Map<ChannelName, Channel>;
  sources: Map<ChannelName, DestinationSource>;
  metrics: NotificationMetrics;
  logger: Logger;
}

/**
 * From an event to deliveries: which channels and addresses the user's preferences allow,
 * one delivery record each (made before any attempt, unique per event × channel ×
 * destination), then attempts under a claim, each one recorded with its outcome, retries
 * scheduled with backoff. The retry scheduler calls `attempt` for what is due later.
 */
export class Dispatcher {
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly d: DispatcherDeps,
    private readonly opts: DispatcherOptions,
  ) {}

  /**
   * Records the deliveries an event calls for and returns their ids (already-recorded ones
   * included: a redelivered event whose first attempts never ran gets them now).
   */
  async dispatch(eventId: string, ev: CataloguedEvent, occurredAt: Date, opts: { exclude?: ChannelName[] } = {}): Promise<string[]> {
    const { deliveries, preferences, contacts, sources, channels } = this.d;
    if (ev.email) await contacts.rememberEmail(ev.userId, ev.email, occurredAt);
    const prefs = await preferences.of(ev.userId);
    const trace = currentTrace();
    const ids: string[] = [];
    // Fills beyond the minute's threshold fold into one digest (chat and email only).
    let foldedInto: { minute: Date } | undefined;
    if (ev.type === 'order.filled' && [...channels.keys()].some((c) => DIGEST_CHANNELS.has(c))) {
      const minute = minuteOf(occurredAt);
      const place = await this.d.digests.place(ev.userId, minute, { eventId, line: ev.title });
      if (place >= this.opts.digestThreshold) foldedInto = { minute };
    }
    for (const [name, source] of sources) {
      if (!channels.has(name) || opts.exclude?.includes(name)) continue;
      const decision = decide(modeFor(prefs, ev.type, name).mode, ev.failure);
      if (!decision.send) continue;
      const addresses = await source.addressesFor(ev.userId, ev.type);
      for (const address of addresses) {
        const folded = foldedInto && DIGEST_CHANNELS.has(name);
        const notification: StoredNotification = folded
          ? { type: DIGEST_TYPE, occurredAt: foldedInto!.minute, title: '', text: '', data: { minute: foldedInto!.minute.toISOString() }, silent: decision.silent }
          : { type: ev.type, occurredAt, title: ev.title, text: ev.text, data: { ...ev.data, reason_code: ev.reasonCode }, silent: decision.silent };
        const { doc } = await deliveries.record({
          eventId: folded ? digestEventId(ev.userId, foldedInto!.minute) : eventId,
          userId: ev.userId,
          channel: name,
          destination: address,
          notification,
          trace,
          // The digest goes out once its minute is over (and a moment for stragglers).
          ...(folded ? { notBefore: new Date(foldedInto!.minute.getTime() + 62_000) } : {}),
        });
        if (doc.status === 'pending' && !folded) ids.push(doc._id);
      }
    }
    return ids;
  }

  /** Attempts in the background (the event is acked already: its deliveries are recorded). */
  attemptSoon(ids: string[]): void {
    for (const id of ids) {
      if (this.stopping) return;
      const p = this.attempt(id)
        .catch((err: unknown) => this.d.logger.warn({ err, delivery_id: id }, 'delivery attempt failed; the retry scheduler will pick it up'))
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** One attempt, if the delivery is due and nobody else holds it. Returns the record after it. */
  async attempt(id: string): Promise<DeliveryDoc | null> {
    const { deliveries, channels } = this.d;
    const claimed = await deliveries.claim(id, this.opts.owner, this.opts.leaseMs);
    if (!claimed) return null;
    const channel = channels.get(claimed.channel);
    let outcome: DeliveryOutcome;
    if (!channel) {
      outcome = { kind: 'retry', reason: 'channel_not_configured' };
    } else {
      const notification = await this.notificationOf(claimed);
      outcome = notification ? await this.send(channel, claimed, notification) : { kind: 'failed', reason: 'nothing_to_send' };
    }
    return this.settle(claimed, outcome);
  }

  /**
   * One call to the other end, in a CLIENT span that continues the event's trace (the
   * context stored with the delivery comes from the NATS consume span), so a trace runs
   * gateway → NATS → notifications → the Telegram/SMTP/HTTP call, retries included. The
   * span carries no address: a hash tells destinations apart without naming them.
   */
  private send(channel: Channel, doc: DeliveryDoc, notification: Notification): Promise<DeliveryOutcome> {
    const parent = doc.trace ? propagation.extract(ROOT_CONTEXT, doc.trace) : context.active();
    const attempt = doc.attempts.length + 1;
    const attributes = {
      'notification.channel': doc.channel,
      'notification.event_type': notification.type,
      'notification.delivery_id': doc._id,
      'notification.attempt': attempt,
      'notification.destination_hash': destinationHash(doc.address),
    };
    return tracer.startActiveSpan(`notification ${doc.channel} send`, { kind: SpanKind.CLIENT, attributes }, parent, async (span) => {
      let outcome: DeliveryOutcome;
      try {
        outcome = await channel.send({ channel: doc.channel, address: doc.address }, notification, { deliveryId: doc._id, attempt });
      } catch (err) {
        // A channel should classify, not throw; a throw is treated as transient.
        this.d.logger.warn({ err, delivery_id: doc._id, channel: doc.channel }, 'channel threw; will retry');
        outcome = { kind: 'retry', reason: `channel_error:${(err as Error).message.slice(0, 200)}` };
      }
      span.setAttribute('notification.outcome', outcome.kind);
      if (outcome.statusCode) span.setAttribute('notification.status_code', outcome.statusCode);
      if (outcome.kind !== 'delivered') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind });
      span.end();
      return outcome;
    });
  }

  private async notificationOf(doc: DeliveryDoc): Promise<Notification | undefined> {
    const base = { ...doc.notification, eventId: doc.eventId, userId: doc.userId };
    if (doc.notification.type !== DIGEST_TYPE) return base;
    const minute = new Date(String(doc.notification.data.minute));
    const folded = await this.d.digests.folded(doc.userId, minute, this.opts.digestThreshold);
    if (folded.length === 0) return undefined;
    return { ...base, ...renderDigest(folded, minute), data: { minute: minute.toISOString(), fills: folded.map((f) => f.eventId) } };
  }

  private async settle(doc: DeliveryDoc, outcome: DeliveryOutcome): Promise<DeliveryDoc | null> {
    const { deliveries, sources, logger, metrics } = this.d;
    const now = new Date();
    let next: { status: DeliveryStatus; nextAttemptAt?: Date; address?: string };
    let reason = outcome.kind === 'delivered' ? (outcome.providerId ?? '') : outcome.reason;
    switch (outcome.kind) {
      case 'delivered':
        next = { status: 'delivered' };
        break;
      case 'failed':
        next = { status: 'failed' };
        break;
      case 'gone':
        await sources.get(doc.channel)?.gone(doc.address, outcome.movedTo);
        next = outcome.movedTo ? { status: 'pending', nextAttemptAt: now, address: outcome.movedTo } : { status: 'gone' };
        break;
      case 'retry': {
        const tries = doc.attempts.filter((a) => !a.replay).length + 1;
        const plan = nextRetry(this.opts.backoff, tries, now.getTime() - doc.createdAt.getTime(), outcome.afterMs !== undefined ? { afterMs: outcome.afterMs } : {});
        if (plan.retry) {
          next = { status: 'pending', nextAttemptAt: new Date(now.getTime() + plan.delayMs) };
        } else {
          next = { status: 'failed' };
          reason = `${reason}; gave up`;
        }
        break;
      }
    }
    const written = await deliveries.settle(doc, this.opts.owner, { at: now, outcome: outcome.kind, reason, statusCode: outcome.statusCode ?? 0 }, next);
    metrics.attempts.inc({ channel: doc.channel, outcome: outcome.kind });
    if (!written) {
      // Our claim ran out mid-send and someone else has the delivery now: theirs is the record.
      logger.warn({ delivery_id: doc._id, channel: doc.channel }, 'claim expired during the attempt; outcome not recorded');
      return null;
    }
    if (next.status !== 'pending') metrics.deliveries.inc({ channel: doc.channel, outcome: next.status });
    if (next.status === 'delivered') metrics.latency.observe({ channel: doc.channel }, (now.getTime() - doc.notification.occurredAt.getTime()) / 1000);
    const log = { delivery_id: doc._id, event_id: doc.eventId, user_id: doc.userId, channel: doc.channel, attempt: doc.attempts.length + 1, outcome: outcome.kind, reason, status: next.status };
    if (outcome.kind === 'delivered') logger.info(log, 'notification delivered');
    else logger.warn({ ...log, next_attempt_at: next.nextAttemptAt }, 'notification not delivered');
    // Moved (a migrated chat): try the new address at once.
    if (outcome.kind === 'gone' && outcome.movedTo) return this.attempt(doc._id);
    return deliveries.get(doc._id);
  }

  /** Stops starting attempts and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }
}
