import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError, type Logger } from '@tbot/common';
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

const subscriptionSchema = new Schema(
  {
    plan: { type: String, required: true, default: 'free' },
    status: { type: String, required: true, default: 'none' },
    provider: { type: String, default: null },
    providerSubscriptionId: { type: String, default: null },
    currentPeriodStart: { type: Date, default: null },
    currentPeriodEnd: { type: Date, default: null },
    cancelAtPeriodEnd: { type: Boolean, default: false },
    // Provider time of the event that set this state, and a tie-breaker for events of
    // the same second: an older event never overwrites newer state.
    stateAt: { type: Date, default: null },
    stateRank: { type: Number, default: 0 },
    // Ledger key of the event that set it, for tracing a state back to its cause.
    setBy: { type: String, default: null },
    // Ledger keys of the last state changes applied (newest last, at most
    // RECENT_STATE_EVENTS): an event delivered again after billing died between writing its
    // change and recording its outcome is recognised as applied, even when a newer event
    // has changed the state since (subscriptions.ts applyState).
    recentEvents: { type: [String], default: undefined },
  },
  { _id: false },
);

const userSchema = new Schema(
  {
    _id: { type: String, default: () => randomUUID() },
    email: { type: String, required: true },
    subscription: { type: subscriptionSchema, required: true, default: () => ({}) },
    stripeCustomerId: { type: String, default: null },
    paystackCustomerCode: { type: String, default: null },
  },
  { timestamps: true, versionKey: false },
);
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ stripeCustomerId: 1 });
userSchema.index({ paystackCustomerCode: 1 });
userSchema.index({ 'subscription.providerSubscriptionId': 1 });
// The operator's user list, newest first (keyset-paged by createdAt then _id).
userSchema.index({ createdAt: -1, _id: -1 });

/** One document per provider event (or Paystack reference): what makes a repeat a no-op. */
const ledgerSchema = new Schema(
  {
    _id: { type: String, required: true }, // "<provider>:<event key>"
    provider: { type: String, required: true },
    type: { type: String, required: true },
    // Entries are inserted once the event is finished, never updated (see ledger.ts).
    state: { type: String, required: true, enum: ['done'] },
    outcome: { type: String, default: null },
    userId: { type: String, default: null },
    detail: { type: String, default: null },
    receivedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    // Entries outlive the providers' resend windows (Stripe: 30 days), then expire.
    expiresAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'webhook_events' },
);
// The operator's webhook inbox (newest first, of one provider or both) and its counts by window.
ledgerSchema.index({ receivedAt: -1, _id: -1 });
ledgerSchema.index({ provider: 1, receivedAt: -1, _id: -1 });

/**
 * Events parked UNMATCHED (no user yet), in a collection of their own so that looking
 * them up by link never scans the ledger. Removed once the event finds its user.
 */
const unmatchedSchema = new Schema(
  {
    _id: { type: String, required: true }, // the ledger key
    provider: { type: String, required: true },
    type: { type: String, required: true },
    // The raw body, as a string: provider JSON may hold keys a document store refuses.
    payload: { type: String, required: true },
    // The links that would identify the user: stripe_customer:…, paystack_customer:…, email:…, user:…
    matchKeys: { type: [String], default: [] },
    detail: { type: String, default: null },
    parkedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'webhook_unmatched' },
);
unmatchedSchema.index({ matchKeys: 1 });

/**
 * One claim per provider event ever seen (until it expires with its ledger entry): the
 * insert that creates it is what tells a new event from a repeat without a lookup. The
 * lease lets one delivery at a time apply the event; a lease in the past (released after
 * a failure, or its holder died) lets the next delivery take it over.
 */
const claimSchema = new Schema(
  {
    _id: { type: String, required: true }, // the ledger key
    leaseUntil: { type: Date, required: true },
    claimedAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'webhook_claims' },
);
// The inbox's "processing" list: claims whose lease runs, a few among every event ever seen.
claimSchema.index({ leaseUntil: 1 });

/**
 * Users whose subscription state a batch is changing: one writer per user at a time
 * across replicas (see user-state.ts). Small: a lock lives only while its batch runs.
 */
const userLockSchema = new Schema(
  {
    _id: { type: String, required: true }, // the user id
    holder: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { versionKey: false, collection: 'user_locks' },
);

/** An event that failed WEBHOOK_MAX_DELIVER times: kept whole until an operator replays it. */
const deadLetterSchema = new Schema(
  {
    _id: { type: String, required: true }, // the ledger key
    provider: { type: String, required: true },
    type: { type: String, required: true },
    subject: { type: String, required: true },
    payload: { type: String, required: true },
    lastError: { type: String, required: true },
    attempts: { type: Number, required: true },
    traceId: { type: String, default: null },
    streamSeq: { type: Number, default: null },
    receivedAt: { type: Date, default: null },
    deadAt: { type: Date, required: true },
    replayedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'webhook_dead_letters' },
);
deadLetterSchema.index({ provider: 1, deadAt: -1 });

/** Paystack payments we initialized and nothing has confirmed yet (for reconciliation). */
const paystackPendingSchema = new Schema(
  {
    _id: { type: String, required: true }, // our reference
    userId: { type: String, required: true },
    plan: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'paystack_pending' },
);
paystackPendingSchema.index({ createdAt: 1 });

const paymentSchema = new Schema(
  {
    _id: { type: String, required: true }, // "<provider>:<provider payment id>"
    userId: { type: String, default: null },
    provider: { type: String, required: true },
    providerPaymentId: { type: String, required: true },
    kind: { type: String, required: true }, // subscription_invoice | one_time | plan_payment
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    status: { type: String, required: true },
    plan: { type: String, default: null },
    providerSubscriptionId: { type: String, default: null },
    paidAt: { type: Date, default: null },
    // For Paystack: the access period this payment bought, fixed when first recorded so a
    // replay extends nothing twice.
    periodStart: { type: Date, default: null },
    periodEnd: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);
paymentSchema.index({ userId: 1, createdAt: -1 });

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: string };
export type LedgerDoc = InferSchemaType<typeof ledgerSchema> & { _id: string };
export type PaymentDoc = InferSchemaType<typeof paymentSchema> & { _id: string };
export type DeadLetterDoc = InferSchemaType<typeof deadLetterSchema> & { _id: string };
export type ClaimDoc = InferSchemaType<typeof claimSchema> & { _id: string };
export type UserLockDoc = InferSchemaType<typeof userLockSchema> & { _id: string };
export type UnmatchedDoc = InferSchemaType<typeof unmatchedSchema> & { _id: string };
export type PaystackPendingDoc = InferSchemaType<typeof paystackPendingSchema> & { _id: string };

export interface Models {
  User: Model<UserDoc>;
  Ledger: Model<LedgerDoc>;
  Payment: Model<PaymentDoc>;
  DeadLetter: Model<DeadLetterDoc>;
  Claim: Model<ClaimDoc>;
  Unmatched: Model<UnmatchedDoc>;
  UserLock: Model<UserLockDoc>;
  PaystackPending: Model<PaystackPendingDoc>;
}

export async function createModels(conn: Connection, logger: Logger): Promise<Models & { ledgerExpiresByItself: boolean }> {
  const models: Models = {
    User: conn.model<UserDoc>('User', userSchema),
    Ledger: conn.model<LedgerDoc>('WebhookEvent', ledgerSchema),
    Payment: conn.model<PaymentDoc>('Payment', paymentSchema),
    DeadLetter: conn.model<DeadLetterDoc>('DeadLetter', deadLetterSchema),
    Claim: conn.model<ClaimDoc>('WebhookClaim', claimSchema),
    Unmatched: conn.model<UnmatchedDoc>('UnmatchedEvent', unmatchedSchema),
    UserLock: conn.model<UserLockDoc>('UserLock', userLockSchema),
    PaystackPending: conn.model<PaystackPendingDoc>('PaystackPending', paystackPendingSchema),
  };
  await Promise.all([
    models.User.syncIndexes(),
    models.Ledger.syncIndexes(),
    models.Payment.syncIndexes(),
    models.DeadLetter.syncIndexes(),
    models.Claim.syncIndexes(),
    models.Unmatched.syncIndexes(),
    models.UserLock.syncIndexes(),
    models.PaystackPending.syncIndexes(),
  ]);
  const ttl = (await Promise.all([ensureTtlIndex(models.Ledger, logger), ensureTtlIndex(models.Claim, logger)])).every(Boolean);
  return Object.assign(models, { ledgerExpiresByItself: ttl });
}

/**
 * MongoDB deletes expired ledger entries and claims itself (TTL index on expiresAt).
 * FerretDB 1.x refuses TTL indexes ("not implemented yet"): there billing prunes them
 * hourly instead (pruneExpired), in pages.
 */
async function ensureTtlIndex(model: Model<LedgerDoc> | Model<ClaimDoc>, logger: Logger): Promise<boolean> {
  try {
    await model.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
    return true;
  } catch (err) {
    logger.warn({ err: (err as Error).message, collection: model.collection.collectionName }, 'the database refuses TTL indexes: billing prunes expired entries itself');
    await model.collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    return false;
  }
}

/** Deletes expired documents (ledger entries, claims), a page at a time (for stores without TTL indexes). */
export async function pruneExpired(model: Model<LedgerDoc> | Model<ClaimDoc>, now = new Date(), page = 1000): Promise<number> {
  const col = model.collection;
  let total = 0;
  for (;;) {
    const ids = (await col.find({ expiresAt: { $lt: now } }, { projection: { _id: 1 } }).limit(page).toArray()).map((d) => d._id);
    if (ids.length === 0) return total;
    total += (await col.deleteMany({ _id: { $in: ids } })).deletedCount;
  }
}

/**
 * Claims used to be removed once an event was recorded; now a claim is what tells a new
 * event from a repeat. Entries recorded before that change get their claim here, once
 * (a marker in `billing_migrations` says it ran), so a late resend of one is still a
 * DUPLICATE. Released leases: an UNMATCHED one may be tried again at once.
 */
export async function backfillClaims(conn: Connection, models: Models, logger: Logger): Promise<void> {
  const marks = conn.collection<{ _id: string; at: Date; count: number }>('billing_migrations');
  const id = 'claims-for-ledger-entries';
  if (await marks.findOne({ _id: id })) return;
  let count = 0;
  let page: ClaimDoc[] = [];
  const flush = async () => {
    if (page.length === 0) return;
    try {
      await models.Claim.collection.insertMany(page as never[], { ordered: false });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    count += page.length;
    page = [];
  };
  const cursor = models.Ledger.collection.find({}, { projection: { _id: 1, receivedAt: 1, expiresAt: 1 } }).batchSize(1000);
  for await (const d of cursor) {
    page.push({ _id: String(d._id), leaseUntil: new Date(0), claimedAt: d.receivedAt ?? new Date(0), expiresAt: d.expiresAt ?? null });
    if (page.length >= 32) await flush();
  }
  await flush();
  await marks.updateOne({ _id: id }, { $setOnInsert: { at: new Date(), count } }, { upsert: true });
  if (count > 0) logger.info({ count }, 'claims written for ledger entries recorded before claims were kept');
}
