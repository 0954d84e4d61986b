import { randomUUID } from 'node:crypto';
import {
  EVENT_KEY_HEADER,
  providerOfSubject,
  publishWebhook,
  WEBHOOK_STREAM,
  type Logger,
  type WebhookProvider,
} from '@tbot/common';
import { AckPolicy, DeliverPolicy, nanos, type Consumer, type JetStreamClient, type JsMsg, type NatsConnection } from 'nats';
import type { Models } from '../models';

/** Most events one redelivery call re-publishes (the caller pages by time for more). */
export const REDELIVER_LIMIT = 10_000;

/**
 * Puts events back on the WEBHOOKS stream so the consumer applies them again through the
 * ledger: replaying an event that was applied changes nothing (DUPLICATE), a dead letter
 * whose cause was fixed is applied, an unmatched one is matched if its user now exists.
 * Each re-publish carries a fresh Nats-Msg-Id (JetStream would drop the original id).
 */
export class WebhookReplay {
  constructor(
    private readonly models: Models,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
    private readonly publishTimeoutMs: number,
  ) {}

  private async republish(provider: string, type: string, eventKey: string, payload: string, why: string): Promise<void> {
    const p = provider as WebhookProvider;
    await publishWebhook(this.js, { provider: p, type, eventKey, raw: Buffer.from(payload) }, {
      timeoutMs: this.publishTimeoutMs,
      msgId: `${eventKey}:${why}:${randomUUID()}`,
    });
  }

  /** A dead letter or a parked unmatched event, by ledger key. False when neither exists. */
  async replayOne(eventKey: string): Promise<boolean> {
    const dead = await this.models.DeadLetter.findById(eventKey).lean();
    if (dead) {
      await this.republish(dead.provider, dead.type, dead._id, dead.payload, 'replay');
      await this.models.DeadLetter.updateOne({ _id: dead._id }, { $set: { replayedAt: new Date() } });
      this.logger.info({ event_key: eventKey }, 'dead letter replayed');
      return true;
    }
    const parked = await this.models.Unmatched.findById(eventKey).lean();
    if (parked) {
      await this.republish(parked.provider, parked.type, parked._id, parked.payload, 'replay');
      this.logger.info({ event_key: eventKey }, 'unmatched event replayed');
      return true;
    }
    return false;
  }

  /** Every dead letter not replayed yet (of one provider, or all). */
  async replayDeadLetters(provider?: string): Promise<number> {
    const dead = await this.models.DeadLetter.find({ replayedAt: null, ...(provider ? { provider } : {}) }).limit(REDELIVER_LIMIT).lean();
    for (const d of dead) {
      await this.republish(d.provider, d.type, d._id, d.payload, 'replay');
      await this.models.DeadLetter.updateOne({ _id: d._id }, { $set: { replayedAt: new Date() } });
    }
    if (dead.length > 0) this.logger.info({ count: dead.length, provider }, 'dead letters replayed');
    return dead.length;
  }

  /** Parked unmatched events that one of these new links may identify. */
  async retryParked(matchKeys: string[]): Promise<number> {
    if (matchKeys.length === 0) return 0;
    const parked = await this.models.Unmatched.find({ matchKeys: { $in: matchKeys } }).limit(1000).lean();
    for (const p of parked) await this.republish(p.provider, p.type, p._id, p.payload, 'matched');
    if (parked.length > 0) this.logger.info({ count: parked.length }, 're-trying unmatched events after a new user link');
    return parked.length;
  }

  /** Re-publishes what the stream received in [since, until) (one provider, or all). */
  async redeliver(provider: string | undefined, since: Date, until: Date): Promise<number> {
    // An ephemeral pull consumer from `since` (ordered consumers' fetch needs NATS 2.10;
    // this works on 2.9 too), removed when done or, if we die, after a minute idle.
    const jsm = await this.nc.jetstreamManager();
    const info = await jsm.consumers.add(WEBHOOK_STREAM, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
      filter_subject: provider ? `webhooks.${provider}.>` : 'webhooks.>',
      inactive_threshold: nanos(60_000),
    });
    try {
      return await this.republishRange(await this.js.consumers.get(WEBHOOK_STREAM, info.name), provider, since, until);
    } finally {
      await jsm.consumers.delete(WEBHOOK_STREAM, info.name).catch(() => undefined);
    }
  }

  private async republishRange(consumer: Consumer, provider: string | undefined, since: Date, until: Date): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
      let got = 0;
      let past = false;
      for await (const m of batch as AsyncIterable<JsMsg>) {
        got++;
        if (Math.floor(m.info.timestampNanos / 1e6) >= until.getTime()) {
          past = true;
          break;
        }
        const p = providerOfSubject(m.subject);
        const key = m.headers?.get(EVENT_KEY_HEADER);
        if (!p || !key) continue;
        const type = m.subject.split('.').slice(2).join('.');
        await this.republish(p, type, key, Buffer.from(m.data).toString('utf8'), 'redeliver');
        if (++count >= REDELIVER_LIMIT) return count;
      }
      if (past || got === 0) break;
    }
    if (count > 0) this.logger.info({ count, provider, since, until }, 'webhooks re-delivered from the stream');
    return count;
  }
}
