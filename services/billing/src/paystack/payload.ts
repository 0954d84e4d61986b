import { z } from 'zod';
import { int, isoDate as date, obj, str, type Obj } from '../json-fields';
import type { Plan, PlanCatalog } from '../plans';

// Paystack events carry no id and no timestamp of their own: the ledger keys them on
// event + reference / subscription_code / invoice_code, and ordering uses the data's dates.

export const paystackEventSchema = z.object({
  event: z.string().min(1),
  // An object for most events; a list for some (subscription.expiring_cards).
  data: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
});
export type PaystackEvent = z.infer<typeof paystackEventSchema>;

/**
 * `metadata` arrives as an object, a JSON string, `0` or `""` depending on how the
 * transaction was made: read whichever it is.
 */
export function readMetadata(v: unknown): Obj {
  if (typeof v === 'string' && v.trim().startsWith('{')) {
    try {
      return obj(JSON.parse(v)) ?? {};
    } catch {
      return {};
    }
  }
  return obj(v) ?? {};
}

export interface CustomerView {
  email?: string;
  customerCode?: string;
}

function readCustomer(v: unknown): CustomerView {
  const c = obj(v);
  return { email: str(c?.email)?.toLowerCase(), customerCode: str(c?.customer_code) };
}

/** A plan may be a code, an object with plan_code, `{}` or null. */
function planCodeOf(v: unknown): string | undefined {
  return str(v) ?? str(obj(v)?.plan_code);
}

export interface ChargeView {
  reference: string;
  status: string;
  amount: number;
  currency: string;
  paidAt?: Date;
  userId?: string;
  planHint?: string;
  planCode?: string;
  customer: CustomerView;
}

/** Reads a charge.success payload or a /transaction/verify answer's data. */
export function readCharge(data: Obj): ChargeView | undefined {
  const reference = str(data.reference);
  const amount = int(data.amount);
  if (!reference || amount === undefined) return undefined;
  const metadata = readMetadata(data.metadata);
  return {
    reference,
    status: str(data.status) ?? 'unknown',
    amount,
    currency: (str(data.currency) ?? '').toUpperCase(),
    paidAt: date(data.paid_at) ?? date(data.paidAt) ?? date(data.transaction_date),
    userId: str(metadata.user_id),
    planHint: str(metadata.plan),
    planCode: planCodeOf(data.plan) ?? planCodeOf(data.plan_object),
    customer: readCustomer(data.customer),
  };
}

export interface SubscriptionView {
  subscriptionCode: string;
  status?: string;
  planCode?: string;
  nextPaymentDate?: Date;
  at?: Date;
  customer: CustomerView;
}

export function readSubscription(data: Obj): SubscriptionView | undefined {
  const subscriptionCode = str(data.subscription_code);
  if (!subscriptionCode) return undefined;
  return {
    subscriptionCode,
    status: str(data.status),
    planCode: planCodeOf(data.plan),
    nextPaymentDate: date(data.next_payment_date),
    at: date(data.updatedAt) ?? date(data.updated_at) ?? date(data.createdAt) ?? date(data.created_at),
    customer: readCustomer(data.customer),
  };
}

export interface InvoiceView {
  invoiceCode: string;
  status?: string;
  paid: boolean;
  amount: number;
  currency: string;
  paidAt?: Date;
  periodEnd?: Date;
  subscriptionCode?: string;
  nextPaymentDate?: Date;
  reference?: string;
  at?: Date;
  customer: CustomerView;
}

export function readInvoice(data: Obj): InvoiceView | undefined {
  const invoiceCode = str(data.invoice_code);
  if (!invoiceCode) return undefined;
  const subscription = obj(data.subscription);
  const transaction = obj(data.transaction);
  return {
    invoiceCode,
    status: str(data.status),
    paid: data.paid === true || data.paid === 1 || data.status === 'success',
    amount: int(data.amount) ?? int(transaction?.amount) ?? 0,
    currency: (str(data.currency) ?? str(transaction?.currency) ?? '').toUpperCase(),
    paidAt: date(data.paid_at),
    periodEnd: date(data.period_end),
    subscriptionCode: str(subscription?.subscription_code),
    nextPaymentDate: date(subscription?.next_payment_date),
    reference: str(transaction?.reference),
    at: date(data.updated_at) ?? date(data.paid_at) ?? date(data.created_at) ?? date(data.createdAt),
    customer: readCustomer(data.customer),
  };
}

export type ChargeCheck = { ok: true; plan: Plan } | { ok: false; reason: string; plan?: Plan };

/** A charge buys a plan only if it succeeded for at least the plan's price, in its currency. */
export function checkCharge(charge: ChargeView, plans: PlanCatalog): ChargeCheck {
  const plan = plans.byPaystackPlanCode(charge.planCode) ?? (charge.planHint ? plans.get(charge.planHint) : undefined);
  if (!plan) return { ok: false, reason: 'the charge names no known plan' };
  const price = plan.paystack;
  if (!price) return { ok: false, reason: `plan ${plan.id} is not sold through Paystack`, plan };
  if (charge.status !== 'success') return { ok: false, reason: `payment status is ${charge.status}`, plan };
  if (charge.currency !== price.currency.toUpperCase()) {
    return { ok: false, reason: `currency ${charge.currency} does not match plan currency ${price.currency}`, plan };
  }
  if (charge.amount < price.amount) {
    return { ok: false, reason: `amount ${charge.amount} is below the plan price ${price.amount}`, plan };
  }
  return { ok: true, plan };
}
