import { randomUUID } from 'node:crypto';
import type { Logger } from '@tbot/common';
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
 * Events being applied right now: one delivery at a time holds an event's claim (unique
 * _id), with a lease a dead holder's successor can take over. Small: a claim is removed
 * as soon as its event is recorded in the ledger.
 */
const claimSchema = new Schema(
  {
    _id: { type: String, required: true }, // the ledger key
    leaseUntil: { type: Date, required: true },
    claimedAt: { type: Date, required: true },
    // What the effect did (JSON of EffectResult, with its events), written right after it
    // ran: a delivery that takes the claim over finishes from here instead of re-running it.
    result: { type: String, default: null },
  },
  { versionKey: false, collection: 'webhook_claims' },
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
export type UnmatchedDoc = InferSchemaType<typeof unmatchedSchema> & { _id: string };
export type PaystackPendingDoc = InferSchemaType<typeof paystackPendingSchema> & { _id: string };

export interface Models {
  User: Model<UserDoc>;
  Ledger: Model<LedgerDoc>;
  Payment: Model<PaymentDoc>;
  DeadLetter: Model<DeadLetterDoc>;
  Claim: Model<ClaimDoc>;
  Unmatched: Model<UnmatchedDoc>;
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
    PaystackPending: conn.model<PaystackPendingDoc>('PaystackPending', paystackPendingSchema),
  };
  await Promise.all([
    models.User.syncIndexes(),
    models.Ledger.syncIndexes(),
    models.Payment.syncIndexes(),
    models.DeadLetter.syncIndexes(),
    models.Claim.syncIndexes(),
    models.Unmatched.syncIndexes(),
    models.PaystackPending.syncIndexes(),
  ]);
  const ttl = await ensureTtlIndex(models.Ledger, logger);
  return Object.assign(models, { ledgerExpiresByItself: ttl });
}

/**
 * MongoDB deletes expired ledger entries itself (TTL index on expiresAt). FerretDB 1.x
 * refuses TTL indexes ("not implemented yet"): there billing prunes them hourly instead
 * (pruneExpired), in pages, by the expiresAt index.
 */
async function ensureTtlIndex(Ledger: Model<LedgerDoc>, logger: Logger): Promise<boolean> {
  try {
    await Ledger.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
    return true;
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'the database refuses TTL indexes: billing prunes expired ledger entries itself');
    await Ledger.collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    return false;
  }
}

/** Deletes expired ledger entries, a page at a time (for stores without TTL indexes). */
export async function pruneExpired(Ledger: Model<LedgerDoc>, now = new Date(), page = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = (await Ledger.find({ expiresAt: { $lt: now } }, { _id: 1 }).limit(page).lean()).map((d) => d._id);
    if (ids.length === 0) return total;
    total += (await Ledger.deleteMany({ _id: { $in: ids } })).deletedCount;
  }
}
