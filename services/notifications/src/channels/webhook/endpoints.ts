import type { Logger } from '@tbot/common';
import type { Collection, Connection } from 'mongoose';
import type { DestinationSource } from '../../destinations';
import { newId } from '../../ids';
import type { EndpointSecretBox, StoredSecret } from './endpoint-secrets';
import { newWebhookSecret } from './signature';

/** A whsec_ secret as stored: sealed (endpoint-secrets.ts); never logged, shown once (at creation or rotation). */
export type EndpointSecret = StoredSecret;

export interface EndpointDoc {
  _id: string;
  userId: string;
  url: string;
  description: string;
  /** Empty: every type. */
  eventTypes: string[];
  enabled: boolean;
  secrets: EndpointSecret[];
  createdAt: Date;
  /** First failure of the current run of failures; null when the last attempt worked. */
  failingSince: Date | null;
  /** gone (410) | failing (5 days) | removed | '' */
  disabledReason: string;
  removed: boolean;
}

export const ENDPOINT_ID = /^whe_[0-9a-z]{9}[0-9a-f]{12}$/;

/** Users' outbound webhook endpoints. Removed ones are kept (disabled) so their deliveries still read well. */
export class WebhookEndpoints {
  private readonly docs: Collection<EndpointDoc>;

  constructor(
    conn: Connection,
    private readonly box: EndpointSecretBox,
  ) {
    this.docs = conn.collection<EndpointDoc>('webhook_endpoints');
  }

  async init(): Promise<void> {
    await this.docs.createIndex({ userId: 1 });
  }

  /**
   * Re-seals what is not stored as it should be: plaintext secrets from before sealing, and
   * blobs under an older master key (a `new,old` NOTIFICATIONS_MASTER_KEY). Run at start; a
   * secret no configured key opens is reported by endpoint id and left as it is. Each
   * record is written only if its secrets did not change meanwhile (a rotation wins).
   */
  async sealStored(logger: Logger): Promise<{ resealed: number; unreadable: number }> {
    let resealed = 0;
    let unreadable = 0;
    for await (const doc of this.docs.find({})) {
      try {
        const opened = doc.secrets.map((s) => ({ s, o: this.box.open(doc, s) }));
        if (opened.every(({ s, o }) => o.current && s.secret === undefined)) continue;
        const secrets = opened.map(({ s, o }) => ({ sealed: this.box.seal(doc, o.plain), createdAt: s.createdAt, expiresAt: s.expiresAt }));
        const r = await this.docs.updateOne({ _id: doc._id, secrets: doc.secrets }, { $set: { secrets } });
        resealed += r.modifiedCount;
      } catch (err) {
        unreadable++;
        logger.error({ endpoint_id: doc._id, err: (err as Error).message }, 'webhook endpoint secret cannot be opened with NOTIFICATIONS_MASTER_KEY; it cannot sign until rotated');
      }
    }
    if (resealed > 0) logger.info({ resealed }, 'webhook endpoint secrets sealed under the current master key');
    return { resealed, unreadable };
  }

  /** The plaintext secrets that sign now (the current one and any still in its overlap). */
  signingSecrets(ep: EndpointDoc, now = new Date()): string[] {
    return activeSecrets(ep, now).map((s) => this.box.open(ep, s).plain);
  }

  async add(userId: string, input: { url: string; description: string; eventTypes: string[] }, now = new Date()): Promise<{ endpoint: EndpointDoc; secret: string }> {
    const secret = newWebhookSecret();
    const _id = newId('whe');
    const endpoint: EndpointDoc = {
      _id,
      userId,
      url: input.url,
      description: input.description,
      eventTypes: input.eventTypes,
      enabled: true,
      secrets: [{ sealed: this.box.seal({ _id, userId }, secret), createdAt: now, expiresAt: null }],
      createdAt: now,
      failingSince: null,
      disabledReason: '',
      removed: false,
    };
    await this.docs.insertOne(endpoint);
    return { endpoint, secret };
  }

  countActive(userId: string): Promise<number> {
    return this.docs.countDocuments({ userId, removed: false });
  }

  list(userId: string): Promise<EndpointDoc[]> {
    return this.docs.find({ userId, removed: false }).sort({ _id: 1 }).toArray();
  }

  get(id: string): Promise<EndpointDoc | null> {
    return this.docs.findOne({ _id: id });
  }

  async ownedBy(userId: string, id: string): Promise<EndpointDoc | null> {
    const doc = await this.get(id);
    return doc && doc.userId === userId && !doc.removed ? doc : null;
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const r = await this.docs.updateOne({ _id: id, userId, removed: false }, { $set: { removed: true, enabled: false, disabledReason: 'removed' } });
    return r.matchedCount === 1;
  }

  /** A new secret; the ones in use keep signing for `overlapMs` (receivers switch without a gap). */
  async rotate(userId: string, id: string, overlapMs: number, now = new Date()): Promise<{ endpoint: EndpointDoc; secret: string } | null> {
    const doc = await this.ownedBy(userId, id);
    if (!doc) return null;
    const until = new Date(now.getTime() + overlapMs);
    // Kept secrets are written sealed under the current key (a legacy plaintext one too).
    const kept = activeSecrets(doc, now).map((s) => ({
      sealed: this.box.seal(doc, this.box.open(doc, s).plain),
      createdAt: s.createdAt,
      expiresAt: s.expiresAt && s.expiresAt < until ? s.expiresAt : until,
    }));
    const secret = newWebhookSecret();
    const secrets: EndpointSecret[] = [{ sealed: this.box.seal(doc, secret), createdAt: now, expiresAt: null }, ...(overlapMs > 0 ? kept : [])];
    await this.docs.updateOne({ _id: id }, { $set: { secrets } });
    return { endpoint: { ...doc, secrets }, secret };
  }

  async disable(id: string, reason: 'gone' | 'failing'): Promise<EndpointDoc | null> {
    const r = await this.docs.findOneAndUpdate({ _id: id, enabled: true }, { $set: { enabled: false, disabledReason: reason } }, { returnDocument: 'after' });
    return r ?? null;
  }

  /** Starts (or continues) a run of failures; returns when it started. */
  async markFailing(doc: EndpointDoc, now: Date): Promise<Date> {
    if (doc.failingSince) return doc.failingSince;
    await this.docs.updateOne({ _id: doc._id, failingSince: null }, { $set: { failingSince: now } });
    return now;
  }

  async markHealthy(doc: EndpointDoc): Promise<void> {
    if (doc.failingSince) await this.docs.updateOne({ _id: doc._id }, { $set: { failingSince: null } });
  }

  /** The outbound webhook channel's destinations: the user's enabled endpoints that take this type. */
  destinations(): DestinationSource {
    return {
      channel: 'webhook',
      addressesFor: async (userId, eventType) => {
        const eps = await this.docs.find({ userId, enabled: true }).toArray();
        return eps.filter((e) => e.eventTypes.length === 0 || e.eventTypes.includes(eventType)).map((e) => e._id);
      },
      gone: async (address) => {
        await this.disable(address, 'gone');
      },
    };
  }
}

/** Secrets that sign now: the current one and any previous one still in its overlap. */
export function activeSecrets<S extends Pick<EndpointSecret, 'expiresAt'>>(doc: { secrets: S[] }, now: Date): S[] {
  return doc.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
}
