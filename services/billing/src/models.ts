import { randomUUID } from 'node:crypto';
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
    state: { type: String, required: true, enum: ['processing', 'done'] },
    leaseUntil: { type: Date, default: null },
    outcome: { type: String, default: null },
    userId: { type: String, default: null },
    detail: { type: String, default: null },
    // Kept for UNMATCHED events so they can be reconciled by hand.
    payload: { type: Schema.Types.Mixed, default: null },
    // Outbox: events to publish on NATS once the effect is stored.
    events: { type: [{ subject: String, msgId: String, data: String, trace: Schema.Types.Mixed, _id: false }], default: [] },
    published: { type: Boolean, default: true },
    receivedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'webhook_events' },
);
ledgerSchema.index({ published: 1, finishedAt: 1 });
ledgerSchema.index({ outcome: 1, receivedAt: -1 });

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

export interface Models {
  User: Model<UserDoc>;
  Ledger: Model<LedgerDoc>;
  Payment: Model<PaymentDoc>;
}

export async function createModels(conn: Connection): Promise<Models> {
  const models: Models = {
    User: conn.model<UserDoc>('User', userSchema),
    Ledger: conn.model<LedgerDoc>('WebhookEvent', ledgerSchema),
    Payment: conn.model<PaymentDoc>('Payment', paymentSchema),
  };
  await Promise.all([models.User.syncIndexes(), models.Ledger.syncIndexes(), models.Payment.syncIndexes()]);
  return models;
}

export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}
