import { LRUCache } from 'lru-cache';
import { create, toJsonString } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { isDuplicateKeyError, PaymentEventSchema, SubscriptionEventSchema, type OutboxEvent } from '@tbot/common';
import {
  PaymentSchema,
  SubscriptionSchema,
  UserSchema,
  type Payment,
  type User,
} from '@tbot/common';
import { grantedFeatures } from './entitlement';
import type { EffectResult } from './ledger';
import type { Models, PaymentDoc, UserDoc } from './models';
import type { PlanCatalog } from './plans';
import type { UserStates } from './user-state';

export type SubscriptionFields = Partial<
  Pick<
    UserDoc['subscription'],
    | 'plan'
    | 'status'
    | 'provider'
    | 'providerSubscriptionId'
    | 'currentPeriodStart'
    | 'currentPeriodEnd'
    | 'cancelAtPeriodEnd'
  >
>;

export interface StateChange {
  userId: string;
  fields: SubscriptionFields;
  /** Provider time of the event; older than the stored state means STALE. */
  at: Date;
  /** Orders events of the same second (created < updated < deleted). */
  rank: number;
  /** Ledger key of the provider event: stored as the cause of the state, sent as event_id. */
  eventId: string;
  /** Provider event type. */
  cause: string;
  /**
   * When set, the change applies only while this is the user's current provider
   * subscription (or none is): the end of an old subscription must not cancel a new one.
   */
  onlyIfCurrent?: string;
  /** When set, the change applies only while the stored status is one of these. */
  onlyIfStatusIn?: string[];
}

export type StateResult =
  | { result: 'applied'; events: OutboxEvent[] }
  | { result: 'stale' | 'not_current' | 'no_user'; events: [] };

export const SUBJECT_SUBSCRIPTION_ACTIVATED = 'billing.subscription.activated';
export const SUBJECT_SUBSCRIPTION_UPDATED = 'billing.subscription.updated';
export const SUBJECT_SUBSCRIPTION_CANCELED = 'billing.subscription.canceled';
export const SUBJECT_PAYMENT_SUCCEEDED = 'billing.payment.succeeded';
export const SUBJECT_PAYMENT_FAILED = 'billing.payment.failed';

const SUCCEEDED = new Set(['paid', 'success', 'succeeded']);

/**
 * How many of a user's last state-changing events are remembered on the user. An event whose
 * attempt died comes back once the ledger claim's lease (60 s) has run out; a real user's
 * subscription changes a few times at most in that time, but the faults test sends about a
 * hundred changes per user in it. 256 ids (about 7 KB) cover that with room.
 */
export const RECENT_STATE_EVENTS = 256;

/** Reads and writes users' subscription state and payment history. */
export class Subscriptions {
  // Links, once made, never change, and users are never deleted: both are safe to
  // remember, which saves a round trip per webhook on the hot path.
  private readonly linked = new LRUCache<string, true>({ max: 100_000 });
  private readonly existing = new LRUCache<string, true>({ max: 100_000 });

  constructor(
    private readonly models: Models,
    private readonly plans: PlanCatalog,
    /** Where effects find the users they change, locked and read once per batch. */
    readonly states: UserStates,
    private readonly now: () => Date = () => new Date(),
    /** Told of every new link (`stripe_customer:…`, …), so parked unmatched events can be re-tried. */
    private readonly onLinked: (matchKeys: string[]) => void = () => undefined,
  ) {}

  /** Whether a user with this id exists (remembered once seen). */
  async userExists(userId: string): Promise<boolean> {
    if (this.existing.has(userId)) return true;
    const found = (await this.models.User.exists({ _id: userId })) !== null;
    if (found) this.existing.set(userId, true);
    return found;
  }

  /** The user's subscription as the current batch sees it (undefined: no such user). */
  async subscriptionOf(userId: string): Promise<UserDoc['subscription'] | undefined> {
    return this.states.within(async (batch) => (await batch.user(userId)).doc?.subscription);
  }

  /**
   * Applies a subscription change unless newer state is stored already (STALE) or the
   * change is for a subscription that is not the user's current one. Decided against the
   * batch's copy of the user (see user-state.ts), written when the batch commits.
   */
  async applyState(change: StateChange): Promise<StateResult> {
    return this.states.within(async (batch) => {
      const held = await batch.user(change.userId);
      const user = held.doc;
      if (!user) return { result: 'no_user', events: [] };
      const s = user.subscription;
      // Applied by an attempt that died before the ledger recorded it, and changed since by
      // a newer event: applied, not stale. Its own events went out then, or, if it died
      // before publishing them, the newer event announced the state that followed. (While it
      // is still the latest change, the path below finds it applied and announces it again
      // under the same ids.)
      if (s.setBy !== change.eventId && s.recentEvents?.includes(change.eventId)) return { result: 'applied', events: [] };
      const at = change.at.getTime();
      const storedAt = s.stateAt ? new Date(s.stateAt).getTime() : null;
      const newer = storedAt === null || storedAt < at || (storedAt === at && (s.stateRank ?? 0) <= change.rank);
      const current = s.providerSubscriptionId;
      const notCurrent =
        (change.onlyIfCurrent !== undefined && current != null && current !== change.onlyIfCurrent) ||
        (change.onlyIfStatusIn !== undefined && !change.onlyIfStatusIn.includes(s.status));
      if (notCurrent) return { result: 'not_current', events: [] };
      if (!newer) return { result: 'stale', events: [] };
      const recentEvents = [...(s.recentEvents ?? []), change.eventId].slice(-RECENT_STATE_EVENTS);
      const set: Record<string, unknown> = { stateAt: change.at, stateRank: change.rank, setBy: change.eventId, recentEvents, ...definedOnly(change.fields) };
      const before: UserDoc = { ...user, subscription: { ...s } };
      user.subscription = { ...s, ...set } as UserDoc['subscription'];
      for (const [k, v] of Object.entries(set)) held.changes[`subscription.${k}`] = v;
      return this.announce(change, before, user);
    });
  }

  private announce(change: StateChange, before: UserDoc, after: UserDoc): StateResult {
    const now = this.now();
    const features = (state: UserDoc['subscription']) =>
      grantedFeatures(state, (plan) => this.plans.featuresOf(plan), now);
    const wasEntitled = features(before.subscription).length > features({ ...before.subscription, plan: 'free' }).length;
    const s = after.subscription;
    const subject =
      s.status === 'canceled' && s.plan === 'free'
        ? SUBJECT_SUBSCRIPTION_CANCELED
        : !wasEntitled && s.plan !== 'free' && features(s).length > features({ ...s, plan: 'free' }).length
          ? SUBJECT_SUBSCRIPTION_ACTIVATED
          : SUBJECT_SUBSCRIPTION_UPDATED;
    const event = create(SubscriptionEventSchema, {
      eventId: change.eventId,
      userId: after._id,
      email: after.email,
      plan: s.plan,
      previousPlan: before.subscription.plan,
      status: s.status,
      provider: s.provider ?? '',
      currentPeriodStart: s.currentPeriodStart ? timestampFromDate(s.currentPeriodStart) : undefined,
      currentPeriodEnd: s.currentPeriodEnd ? timestampFromDate(s.currentPeriodEnd) : undefined,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd ?? false,
      features: features(s),
      cause: change.cause,
    });
    return {
      result: 'applied',
      events: [
        {
          subject,
          msgId: change.eventId,
          data: toJsonString(SubscriptionEventSchema, event, { useProtoFieldName: true }),
        },
      ],
    };
  }

  /** Remembers the provider subscription of a user who has none yet (no state change). */
  async linkSubscription(userId: string, provider: string, subscriptionId: string): Promise<void> {
    const linked = await this.states.within(async (batch) => {
      const held = await batch.user(userId);
      const s = held.doc?.subscription;
      if (!s || s.providerSubscriptionId != null) return false;
      s.providerSubscriptionId = subscriptionId;
      s.provider = provider;
      held.changes['subscription.providerSubscriptionId'] = subscriptionId;
      held.changes['subscription.provider'] = provider;
      return true;
    });
    if (linked) this.onLinked([`${provider}_subscription:${subscriptionId}`]);
  }

  /** Links provider customer ids to a user; never overwrites a different existing link. */
  async linkCustomer(
    userId: string,
    link: { stripeCustomerId?: string; paystackCustomerCode?: string },
  ): Promise<void> {
    for (const [field, value] of Object.entries(link)) {
      if (!value) continue;
      // A link, once made, never changes: skip the write for links this process has seen.
      const key = `${userId}|${field}|${value}`;
      if (this.linked.has(key)) continue;
      const r = await this.models.User.updateOne({ _id: userId, [field]: null }, { $set: { [field]: value } });
      if (r.modifiedCount > 0) this.onLinked([`${field === 'stripeCustomerId' ? 'stripe_customer' : 'paystack_customer'}:${value}`]);
      this.linked.set(key, true);
    }
  }

  /**
   * Records a payment once per provider payment id. A later event may move it to a
   * succeeded status but never back from one. Returns the stored document.
   */
  async recordPayment(
    p: Omit<PaymentDoc, '_id' | 'createdAt' | 'updatedAt'>,
    eventId: string,
  ): Promise<{ payment: PaymentDoc; event?: OutboxEvent }> {
    const { Payment } = this.models;
    const _id = `${p.provider}:${p.providerPaymentId}`;
    // What can change between attempts (a failed invoice later paid) is set every time;
    // the rest, including the period a Paystack payment bought, only when first recorded.
    const { status, userId, amount, paidAt, ...immutable } = p;
    try {
      await Payment.updateOne(
        { _id, status: { $nin: [...SUCCEEDED] } },
        { $set: { status, userId, amount, paidAt }, $setOnInsert: { ...immutable, _id } },
        { upsert: true },
      );
    } catch (err) {
      // The payment exists with a succeeded status: the filter missed and the upsert collided.
      if (!isDuplicateKeyError(err)) throw err;
    }
    const payment = (await Payment.findById(_id).lean()) as PaymentDoc;
    let event: OutboxEvent | undefined;
    if (payment.userId) {
      const user = await this.models.User.findById(payment.userId).lean();
      const msg = create(PaymentEventSchema, {
        eventId,
        userId: payment.userId,
        email: user?.email ?? '',
        plan: payment.plan ?? '',
        status: payment.status,
        provider: payment.provider,
        providerPaymentId: payment.providerPaymentId,
        amount: BigInt(Math.trunc(payment.amount)),
        currency: payment.currency,
        kind: payment.kind,
        paidAt: payment.paidAt ? timestampFromDate(payment.paidAt) : undefined,
        periodStart: payment.periodStart ? timestampFromDate(payment.periodStart) : undefined,
        periodEnd: payment.periodEnd ? timestampFromDate(payment.periodEnd) : undefined,
      });
      event = {
        subject: SUCCEEDED.has(payment.status) ? SUBJECT_PAYMENT_SUCCEEDED : SUBJECT_PAYMENT_FAILED,
        // One provider event may also change the subscription, which takes the bare key.
        msgId: `${eventId}:payment`,
        data: toJsonString(PaymentEventSchema, msg, { useProtoFieldName: true }),
      };
    }
    return { payment, event };
  }

  subscriptionProto(user: Pick<UserDoc, 'subscription'>) {
    const s = user.subscription;
    return create(SubscriptionSchema, {
      plan: s.plan,
      status: s.status,
      provider: s.provider ?? '',
      currentPeriodStart: s.currentPeriodStart ? timestampFromDate(s.currentPeriodStart) : undefined,
      currentPeriodEnd: s.currentPeriodEnd ? timestampFromDate(s.currentPeriodEnd) : undefined,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd ?? false,
      features: grantedFeatures(s, (plan) => this.plans.featuresOf(plan), this.now()),
    });
  }

  userProto(user: UserDoc): User {
    return create(UserSchema, {
      id: user._id,
      email: user.email,
      subscription: this.subscriptionProto(user),
      createdAt: user.createdAt ? timestampFromDate(user.createdAt) : undefined,
    });
  }
}

export function paymentProto(p: PaymentDoc): Payment {
  return create(PaymentSchema, {
    provider: p.provider,
    providerPaymentId: p.providerPaymentId,
    kind: p.kind,
    amount: BigInt(Math.trunc(p.amount)),
    currency: p.currency,
    status: p.status,
    plan: p.plan ?? '',
    providerSubscriptionId: p.providerSubscriptionId ?? '',
    paidAt: p.paidAt ? timestampFromDate(p.paidAt) : undefined,
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** How a state change reads as the outcome of the event that asked for it. */
export function stateOutcome(state: StateResult, userId: string): EffectResult {
  switch (state.result) {
    case 'applied':
      return { outcome: 'applied', userId, events: state.events };
    case 'stale':
      return { outcome: 'stale', userId, detail: 'newer subscription state was applied already' };
    case 'not_current':
      return { outcome: 'ignored', userId, detail: "not the user's current subscription" };
    case 'no_user':
      return { outcome: 'unmatched', detail: `user ${userId} vanished` };
  }
}
