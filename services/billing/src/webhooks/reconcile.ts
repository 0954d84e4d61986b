import {
  every,
  isDuplicateKeyError,
  paystackChargeKey,
  publishWebhook,
  stripeEventKey,
  type Logger,
  type Periodic,
} from '@tbot/common';
import type { JetStreamClient } from 'nats';
import type Stripe from 'stripe';
import type { Models } from '../models';
import type { PaystackClient } from '../paystack/client';

/** How far back Stripe lists events (it keeps them 30 days). */
const STRIPE_LOOKBACK_MS = 30 * 86_400_000;
/** An initialized Paystack payment still unpaid after this is given up (Paystack links expire too). */
const PAYSTACK_GIVE_UP_MS = 2 * 86_400_000;

export interface ReconcileResult {
  stripe: number;
  paystack: number;
}

/**
 * So an outage longer than the providers' retries loses nothing: asks Stripe for events
 * it could not deliver to us (`GET /v1/events?delivery_success=false`, its last 30 days)
 * and Paystack for payments we initialized that no webhook or callback confirmed
 * (`GET /transaction/verify/:reference`), and feeds what is missing into the WEBHOOKS
 * stream, the path every webhook takes: the ledger applies each once.
 */
export class Reconciler {
  private timer?: Periodic;

  constructor(
    private readonly models: Models,
    private readonly js: JetStreamClient,
    private readonly stripe: Stripe | undefined,
    private readonly paystack: PaystackClient | undefined,
    private readonly logger: Logger,
    private readonly opts: { paystackAfterMs: number; publishTimeoutMs: number },
  ) {}

  /** Remembers a Paystack payment we started, so it is verified if nothing confirms it. */
  async paystackInitialized(reference: string, userId: string, plan: string): Promise<void> {
    try {
      await this.models.PaystackPending.create({ _id: reference, userId, plan, createdAt: new Date() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async run(now = new Date()): Promise<ReconcileResult> {
    const [stripe, paystack] = await Promise.all([this.stripeMissing(now), this.paystackUnconfirmed(now)]);
    if (stripe + paystack > 0) this.logger.info({ stripe, paystack }, 'reconciliation fed missing events');
    return { stripe, paystack };
  }

  private async stripeMissing(now: Date): Promise<number> {
    if (!this.stripe) return 0;
    let fed = 0;
    const page: Stripe.Event[] = [];
    const flush = async () => {
      // By _id one at a time: FerretDB scans the whole ledger for `_id: {$in}`.
      const entries = await Promise.all(page.map((e) => this.models.Ledger.findById(stripeEventKey(e.id), { _id: 1 }).lean()));
      const known = new Set(entries.filter((d) => d !== null).map((d) => d._id));
      for (const e of page) {
        const key = stripeEventKey(e.id);
        if (known.has(key)) continue;
        await publishWebhook(this.js, { provider: 'stripe', type: e.type, eventKey: key, raw: Buffer.from(JSON.stringify(e)) }, {
          timeoutMs: this.opts.publishTimeoutMs,
        });
        fed++;
      }
      page.length = 0;
    };
    const list = this.stripe.events.list({
      delivery_success: false,
      created: { gte: Math.floor((now.getTime() - STRIPE_LOOKBACK_MS) / 1000) },
      limit: 100,
    });
    for await (const e of list) {
      page.push(e);
      if (page.length >= 100) await flush();
    }
    if (page.length > 0) await flush();
    return fed;
  }

  private async paystackUnconfirmed(now: Date): Promise<number> {
    if (!this.paystack) return 0;
    const due = await this.models.PaystackPending.find({ createdAt: { $lte: new Date(now.getTime() - this.opts.paystackAfterMs) } })
      .sort({ createdAt: 1 })
      .limit(200)
      .lean();
    let fed = 0;
    for (const p of due) {
      const key = paystackChargeKey(p._id);
      const entry = await this.models.Ledger.findById(key, { outcome: 1 }).lean();
      if (entry && entry.outcome !== 'unmatched') {
        await this.models.PaystackPending.deleteOne({ _id: p._id });
        continue;
      }
      const data = await this.paystack.verify(p._id);
      const status = typeof data?.status === 'string' ? data.status : 'not_found';
      if (data && status === 'success') {
        // The charge.success Paystack would have sent: same ledger key as the webhook and the callback.
        const raw = Buffer.from(JSON.stringify({ event: 'charge.success', data }));
        await publishWebhook(this.js, { provider: 'paystack', type: 'charge.success', eventKey: key, raw }, { timeoutMs: this.opts.publishTimeoutMs });
        await this.models.PaystackPending.deleteOne({ _id: p._id });
        fed++;
      } else if (['failed', 'reversed', 'not_found'].includes(status) || now.getTime() - p.createdAt.getTime() > PAYSTACK_GIVE_UP_MS) {
        // Final, or abandoned for too long: nothing will ever confirm it.
        await this.models.PaystackPending.deleteOne({ _id: p._id });
      }
    }
    return fed;
  }

  start(intervalMs: number): void {
    this.timer = every(intervalMs, 'webhook reconciliation', this.logger, () => this.run());
  }

  async stop(): Promise<void> {
    await this.timer?.stop();
  }
}
