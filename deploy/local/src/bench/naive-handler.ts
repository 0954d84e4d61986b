/**
 * The reference the webhook benchmark compares against: the Stripe webhook handler most
 * projects start with. One Node process, Express with `express.raw()` on the route,
 * `stripe.webhooks.constructEvent` for the signature, and mongoose: an idempotency insert
 * (unique _id = event id), then the user's subscription update, then 200. Its accepted
 * rate is also its applied rate: the work is done before the answer.
 *
 * Run as a child process by webhook-bench.ts. Environment: PORT, MONGODB_URI (its own
 * database), STRIPE_WEBHOOK_SECRET.
 */
import express from 'express';
import mongoose, { Schema } from 'mongoose';
import Stripe from 'stripe';

const port = Number(process.env.PORT ?? 0);
const uri = process.env.MONGODB_URI ?? '';
const secret = process.env.STRIPE_WEBHOOK_SECRET ?? '';
const stripe = new Stripe('sk_test_naive');

const Processed = mongoose.model('ProcessedEvent', new Schema({ _id: String, type: String, at: Date }, { versionKey: false, collection: 'processed_events' }));
const User = mongoose.model(
  'User',
  new Schema(
    {
      _id: String,
      email: String,
      stripeCustomerId: String,
      subscription: {
        plan: String,
        status: String,
        provider: String,
        providerSubscriptionId: String,
        currentPeriodStart: Date,
        currentPeriodEnd: Date,
        cancelAtPeriodEnd: Boolean,
        setBy: String,
      },
    },
    { versionKey: false, collection: 'users' },
  ),
);

const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ ok: mongoose.connection.readyState === 1 });
});
app.post('/webhook', express.raw({ type: () => true }), async (req, res) => {
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(req.body as Buffer, req.headers['stripe-signature'] ?? '', secret);
  } catch (err) {
    res.status(400).json({ error: (err as Error).message });
    return;
  }
  try {
    try {
      await Processed.create({ _id: event.id, type: event.type, at: new Date() });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) {
        res.json({ received: true, duplicate: true });
        return;
      }
      throw err;
    }
    if (event.type === 'customer.subscription.updated') {
      const sub = event.data.object;
      const item = sub.items.data[0];
      await User.updateOne(
        { _id: sub.metadata.user_id },
        {
          $set: {
            stripeCustomerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
            'subscription.plan': item?.price.id === 'price_pro_monthly' ? 'pro' : 'free',
            'subscription.status': sub.status,
            'subscription.provider': 'stripe',
            'subscription.providerSubscriptionId': sub.id,
            'subscription.currentPeriodStart': item ? new Date(item.current_period_start * 1000) : null,
            'subscription.currentPeriodEnd': item ? new Date(item.current_period_end * 1000) : null,
            'subscription.cancelAtPeriodEnd': sub.cancel_at_period_end,
            'subscription.setBy': event.id,
          },
        },
      );
    }
    res.json({ received: true });
  } catch (err) {
    res.status(500).json({ error: (err as Error).message });
  }
});

async function main() {
  await mongoose.connect(uri);
  await Processed.init();
  const server = app.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    void mongoose.disconnect().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  process.stderr.write(`naive handler failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
