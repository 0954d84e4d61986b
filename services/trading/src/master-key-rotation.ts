/**
 * Re-encrypts every stored secret (exchange credentials, webhook signing keys) under the
 * current master key, so older keys can be dropped from EXCHANGE_KEYS_MASTER_KEY.
 *
 * Safe beside running services and safe to stop at any point: each record is rewritten on
 * its own with a compare-and-set on the blobs it read, so a record the service changed in
 * the meantime (new credentials, a webhook rotation) is left alone rather than overwritten
 * with stale values; it is then already under the current key, or the next run takes it.
 * A run skips what is current, so re-running resumes where a stopped run ended.
 */
import type { Model } from 'mongoose';
import { blobKeyId, type MasterKeyring } from './credentials-crypto';
import type { TradingModels } from './models';
import {
  CREDENTIAL_FIELDS,
  credentialContext,
  rewrapFields,
  SIGNING_KEY_FIELDS,
  webhookRecordContext,
  type CredentialField,
  type SecretContext,
} from './secret-contexts';

export interface CollectionReport {
  collection: string;
  scanned: number;
  rewritten: number;
  upToDate: number;
  /** Changed by the service between read and write: left as it was (a re-run checks it again). */
  changedMeanwhile: number;
  /** Not opened by any configured key, by user id and field; never values. */
  failed: Array<{ userId: string; field: string; reason: string }>;
}

export interface RotationReport {
  currentKeyId: string;
  dryRun: boolean;
  collections: CollectionReport[];
  /** Blobs still not under the current key after the run; 0 means older keys can go. */
  remaining: number;
}

interface Target<F extends string> {
  name: string;
  model: Model<any>; // two schemas, one loop: the fields are read by name
  fields: readonly F[];
  /** Fields the context is made of, besides _id. */
  contextFields: readonly string[];
  contextOf: (doc: Record<string, unknown>) => (field: F) => SecretContext;
}

function targets(models: TradingModels): Array<Target<string>> {
  const credentials: Target<CredentialField> = {
    name: 'exchange_accounts',
    model: models.ExchangeAccount,
    fields: Object.keys(CREDENTIAL_FIELDS) as CredentialField[],
    contextFields: ['exchange'],
    contextOf: (doc) => (field) => credentialContext(String(doc._id), String(doc.exchange), field),
  };
  const signingKeys: Target<string> = {
    name: 'webhook_secrets',
    model: models.WebhookSecret,
    fields: SIGNING_KEY_FIELDS,
    // A user's record, or a strategy's (bound to its owner and the strategy).
    contextFields: ['userId'],
    contextOf: (doc) => () => webhookRecordContext(doc),
  };
  return [credentials as Target<string>, signingKeys];
}

export async function rotateMasterKey(
  models: TradingModels,
  ring: MasterKeyring,
  opts: { dryRun?: boolean; onRecord?: (collection: string, userId: string, outcome: string) => void } = {},
): Promise<RotationReport> {
  const dryRun = opts.dryRun ?? false;
  const collections: CollectionReport[] = [];
  for (const t of targets(models)) {
    const report: CollectionReport = { collection: t.name, scanned: 0, rewritten: 0, upToDate: 0, changedMeanwhile: 0, failed: [] };
    const projection = Object.fromEntries([...t.contextFields, ...t.fields].map((f) => [f, 1]));
    // In _id order, so a run's progress reads as "up to this user".
    for await (const doc of t.model.find({}, projection).sort({ _id: 1 }).lean().cursor()) {
      const record = doc as Record<string, unknown>;
      const userId = String(record._id);
      report.scanned++;
      const blobs = Object.fromEntries(t.fields.map((f) => [f, record[f] as string | null | undefined]));
      const r = rewrapFields(blobs, t.contextOf(record), ring);
      if (!r.ok) {
        report.failed.push({ userId, field: r.field, reason: r.message });
        opts.onRecord?.(t.name, userId, 'failed');
        continue;
      }
      const changed = Object.keys(r.changes);
      if (changed.length === 0) {
        report.upToDate++;
        continue;
      }
      if (dryRun) {
        report.rewritten++;
        opts.onRecord?.(t.name, userId, 'would rewrite');
        continue;
      }
      const filter = Object.fromEntries([['_id', record._id], ...changed.map((f) => [f, record[f]])]);
      const res = await t.model.updateOne(filter, { $set: r.changes });
      if (res.matchedCount === 1) report.rewritten++;
      else report.changedMeanwhile++;
      opts.onRecord?.(t.name, userId, res.matchedCount === 1 ? 'rewritten' : 'changed meanwhile');
    }
    collections.push(report);
  }
  return { currentKeyId: ring.current.id, dryRun, collections, remaining: await countNotCurrent(models, ring) };
}

/** Blobs not sealed under the current key (by their key id: nothing is decrypted). */
export async function countNotCurrent(models: TradingModels, ring: MasterKeyring): Promise<number> {
  let n = 0;
  for (const t of targets(models)) {
    const projection = Object.fromEntries(t.fields.map((f) => [f, 1]));
    for await (const doc of t.model.find({}, projection).lean().cursor()) {
      for (const f of t.fields) {
        const blob = (doc as Record<string, unknown>)[f];
        if (typeof blob === 'string' && blob !== '' && blobKeyId(blob) !== ring.current.id) n++;
      }
    }
  }
  return n;
}
