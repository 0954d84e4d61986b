import { context, propagation } from '@opentelemetry/api';
import type { Logger } from '@tbot/common';
import { isDuplicateKeyError, type Models } from './models';

export type Outcome = 'applied' | 'duplicate' | 'stale' | 'ignored' | 'unmatched';

export interface OutboxEvent {
  subject: string;
  /** Nats-Msg-Id: JetStream drops a second publish with the same id. */
  msgId: string;
  /** Protobuf JSON of the event message. */
  data: string;
  /** W3C trace context of the webhook that caused it, so a late publish joins its trace. */
  trace?: Record<string, string>;
}

export interface EffectResult {
  outcome: Exclude<Outcome, 'duplicate'>;
  userId?: string;
  detail?: string;
  events?: OutboxEvent[];
}

export interface LedgerResult {
  outcome: Outcome;
  eventKey: string;
  userId?: string;
  detail?: string;
}

/** Called after an effect is stored, to publish its events (the outbox relay retries). */
export type OnStored = (eventKey: string, events: OutboxEvent[]) => void;

/**
 * Exactly one effect per provider event, without multi-document transactions:
 *  1. claim the key by inserting a `processing` entry with a lease (unique _id);
 *  2. run the effect, which is written to be safe to re-run (state is set, not
 *     incremented; payments are keyed by provider id);
 *  3. mark the entry `done` with the outcome and the events to publish.
 * A repeat finds the entry and answers DUPLICATE. If the effect throws, the claim is
 * released so the provider's retry runs it again; if the process dies mid-way, the lease
 * expires and the next delivery takes the claim over.
 */
export class EventLedger {
  constructor(
    private readonly models: Models,
    private readonly logger: Logger,
    private readonly onStored: OnStored,
    private readonly leaseMs = 60_000,
  ) {}

  async once(
    eventKey: string,
    meta: { provider: string; type: string; payload?: unknown },
    effect: () => Promise<EffectResult>,
  ): Promise<LedgerResult> {
    const { Ledger } = this.models;
    const now = new Date();
    const claimed = await this.claim(eventKey, meta, now);
    if (!claimed) {
      const existing = await Ledger.findById(eventKey).lean();
      return {
        outcome: 'duplicate',
        eventKey,
        userId: existing?.userId ?? undefined,
        detail:
          existing?.state === 'processing'
            ? 'the same event is being applied by another delivery'
            : `already applied (${existing?.outcome ?? 'unknown'})`,
      };
    }

    let result: EffectResult;
    try {
      result = await effect();
    } catch (err) {
      await Ledger.deleteOne({ _id: eventKey, state: 'processing' }).catch((e: unknown) =>
        this.logger.error({ err: e, eventKey }, 'could not release ledger claim'),
      );
      throw err;
    }

    const trace: Record<string, string> = {};
    propagation.inject(context.active(), trace);
    const events = (result.events ?? []).map((e) => ({ ...e, trace }));
    await Ledger.updateOne(
      { _id: eventKey },
      {
        $set: {
          state: 'done',
          leaseUntil: null,
          outcome: result.outcome,
          userId: result.userId ?? null,
          detail: result.detail ?? null,
          payload: result.outcome === 'unmatched' ? (meta.payload ?? null) : null,
          events,
          published: events.length === 0,
          finishedAt: new Date(),
        },
      },
    );
    if (events.length > 0) this.onStored(eventKey, events);
    return { outcome: result.outcome, eventKey, userId: result.userId, detail: result.detail };
  }

  /** True when this call owns the key: a fresh insert, or the take-over of an expired lease. */
  private async claim(
    eventKey: string,
    meta: { provider: string; type: string },
    now: Date,
  ): Promise<boolean> {
    const { Ledger } = this.models;
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    try {
      await Ledger.create({
        _id: eventKey,
        provider: meta.provider,
        type: meta.type,
        state: 'processing',
        leaseUntil,
        receivedAt: now,
      });
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const takenOver = await Ledger.findOneAndUpdate(
      { _id: eventKey, state: 'processing', leaseUntil: { $lte: now } },
      { $set: { leaseUntil } },
    ).lean();
    if (takenOver) this.logger.warn({ eventKey }, 'took over an expired ledger claim');
    return takenOver !== null;
  }
}
