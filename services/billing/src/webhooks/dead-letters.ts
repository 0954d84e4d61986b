import { deadLetterSubject, type Logger } from '@tbot/common';
import type { JsMsg, NatsConnection } from 'nats';
import type { Models } from '../models';

/**
 * Events that failed WEBHOOK_MAX_DELIVER times. Each is kept whole (payload, last error,
 * attempts, trace id) until an operator replays it, and announced on
 * `deadletters.webhooks.<provider>` (outside the WEBHOOKS stream).
 */
export class DeadLetters {
  constructor(
    private readonly models: Models,
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  async add(
    m: JsMsg,
    info: { provider: string; type: string; eventKey: string | undefined; error: unknown; attempts: number },
  ): Promise<void> {
    const id = info.eventKey ?? `${info.provider}:unreadable:${m.info.streamSequence}`;
    const traceparent = m.headers?.get('traceparent') ?? '';
    const traceId = traceparent.split('-')[1] || null;
    // Only the message: an error's other fields may echo configuration.
    const lastError = (info.error instanceof Error ? info.error.message : String(info.error ?? 'unknown error')).slice(0, 2000);
    const doc = {
      provider: info.provider,
      type: info.type,
      subject: m.subject,
      payload: Buffer.from(m.data).toString('utf8'),
      lastError,
      attempts: info.attempts,
      traceId,
      streamSeq: m.info.streamSequence,
      receivedAt: new Date(Math.floor(m.info.timestampNanos / 1e6)),
      deadAt: new Date(),
      replayedAt: null,
    };
    await this.models.DeadLetter.updateOne({ _id: id }, { $set: doc }, { upsert: true });
    this.logger.error({ event_key: id, provider: info.provider, event_type: info.type, attempts: info.attempts, last_error: lastError }, 'webhook dead-lettered');
    const announcement = {
      event_key: id,
      provider: info.provider,
      event_type: info.type,
      attempts: info.attempts,
      last_error: lastError,
      trace_id: traceId,
      stream_seq: m.info.streamSequence,
    };
    this.nc.publish(deadLetterSubject(info.provider), JSON.stringify(announcement));
  }
}
