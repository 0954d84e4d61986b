import { afterCursor, decodePageCursor, pageLimit, pageOf, readConsumerState, WEBHOOK_CONSUMER, WEBHOOK_STREAM, type PageCursor } from '@tbot/common';
import type { NatsConnection } from 'nats';
import type { ClaimDoc, DeadLetterDoc, LedgerDoc, Models, UnmatchedDoc } from '../models';

export const INBOX_STATES = ['done', 'dead_letter', 'unmatched', 'processing'] as const;
export type InboxState = (typeof INBOX_STATES)[number];

/** One row of the operator's webhook inbox, whichever collection it comes from. */
export type InboxItem =
  | { state: 'done'; doc: LedgerDoc }
  | { state: 'dead_letter'; doc: DeadLetterDoc }
  | { state: 'unmatched'; doc: UnmatchedDoc }
  | { state: 'processing'; doc: ClaimDoc };

export interface WebhookStatsResult {
  windowMinutes: number;
  received: number;
  failed: number;
  failureRate: number;
  backlogAgeSeconds: number;
  deadLetters: number;
  unmatched: number;
}

export class BadPageToken extends Error {}

/**
 * The operator's view of webhook events: each state lives in its own collection (the ledger's
 * outcomes, dead letters, parked unmatched events, claims being applied), so a list is one
 * state at a time, newest first, keyset-paged by (time, event key).
 */
export class WebhookInbox {
  constructor(
    private readonly models: Models,
    private readonly nc: NatsConnection,
  ) {}

  async list(opts: { state: InboxState; provider?: string; pageSize: number; pageToken: string; now?: Date }): Promise<{ items: InboxItem[]; nextPageToken: string }> {
    let cursor: PageCursor | undefined;
    if (opts.pageToken) {
      cursor = decodePageCursor(opts.pageToken);
      if (!cursor) throw new BadPageToken('page_token: not a token from a previous page');
    }
    const limit = pageLimit(opts.pageSize);
    const provider = opts.provider ? { provider: opts.provider } : {};
    const { Ledger, DeadLetter, Unmatched, Claim } = this.models;
    switch (opts.state) {
      case 'done': {
        const docs = await Ledger.find({ ...provider, outcome: { $ne: 'unmatched' }, ...afterCursor('receivedAt', cursor) })
          .sort({ receivedAt: -1, _id: -1 })
          .limit(limit + 1)
          .lean();
        return wrap('done', pageOf(docs, limit, (d) => ({ at: d.receivedAt, id: d._id })));
      }
      case 'dead_letter': {
        // Replayed ones are back in the stream: they show under their new state.
        const docs = await DeadLetter.find({ ...provider, replayedAt: null, ...afterCursor('deadAt', cursor) })
          .sort({ deadAt: -1, _id: -1 })
          .limit(limit + 1)
          .lean();
        return wrap('dead_letter', pageOf(docs, limit, (d) => ({ at: d.deadAt, id: d._id })));
      }
      case 'unmatched': {
        const docs = await Unmatched.find({ ...provider, ...afterCursor('parkedAt', cursor) })
          .sort({ parkedAt: -1, _id: -1 })
          .limit(limit + 1)
          .lean();
        return wrap('unmatched', pageOf(docs, limit, (d) => ({ at: d.parkedAt, id: d._id })));
      }
      case 'processing': {
        // A claim whose lease runs is being applied; claims carry no provider field, their key starts with it.
        const docs = await Claim.find({
          leaseUntil: { $gt: opts.now ?? new Date() },
          ...(opts.provider ? { _id: { $regex: `^${opts.provider}:` } } : {}),
          ...afterCursor('claimedAt', cursor),
        })
          .sort({ claimedAt: -1, _id: -1 })
          .limit(limit + 1)
          .lean();
        return wrap('processing', pageOf(docs, limit, (d) => ({ at: d.claimedAt, id: d._id })));
      }
    }
  }

  /**
   * Over the last `windowMinutes`: events received that billing finished with (an outcome in
   * the ledger, or a dead letter not replayed), and those dead-lettered; now: the stream's
   * backlog age (from the consumer's state in JetStream, as webhook_backlog_age_seconds), dead
   * letters not replayed and unmatched events parked.
   */
  async stats(windowMinutes: number, now = new Date()): Promise<WebhookStatsResult> {
    const since = new Date(now.getTime() - windowMinutes * 60_000);
    const { Ledger, DeadLetter, Unmatched } = this.models;
    const [finished, deadUnreplayed, failed, deadLetters, unmatched, backlog] = await Promise.all([
      Ledger.countDocuments({ receivedAt: { $gte: since } }),
      DeadLetter.countDocuments({ receivedAt: { $gte: since }, replayedAt: null }),
      DeadLetter.countDocuments({ receivedAt: { $gte: since } }),
      DeadLetter.countDocuments({ replayedAt: null }),
      Unmatched.countDocuments({}),
      readConsumerState(this.nc, WEBHOOK_STREAM, WEBHOOK_CONSUMER),
    ]);
    // A dead letter replayed and not finished yet is in `failed` but in no outcome: at least as many received.
    const received = Math.max(finished + deadUnreplayed, failed);
    return {
      windowMinutes,
      received,
      failed,
      failureRate: received > 0 ? failed / received : 0,
      backlogAgeSeconds: Math.round(backlog.oldestAgeSeconds),
      deadLetters,
      unmatched,
    };
  }
}

function wrap<S extends InboxState, D>(state: S, page: { items: D[]; nextPageToken: string }) {
  return { items: page.items.map((doc) => ({ state, doc }) as InboxItem), nextPageToken: page.nextPageToken };
}
