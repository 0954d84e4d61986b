/**
 * The reference the alert burst benchmark compares against: the TradingView webhook most
 * trading bots start with. One Node process, Express with `express.text()`, the alert parsed
 * as JSON, the user's secret compared, then mongoose: the signal inserted, a paper trade
 * filled at the alert's price inserted, then 200. No de-duplication, risk rules or
 * entitlement: the least a handler can do and still record a trade.
 *
 * Run as a child process by alert-burst-bench.ts. Environment: PORT, MONGODB_URI (its own
 * database; the bench inserts `traders` {_id, secret}).
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import mongoose, { Schema } from 'mongoose';

const port = Number(process.env.PORT ?? 0);
const uri = process.env.MONGODB_URI ?? '';

const Trader = mongoose.model('Trader', new Schema({ _id: String, secret: String }, { versionKey: false, collection: 'traders' }));
const Signal = mongoose.model(
  'Signal',
  new Schema({ userId: String, symbol: String, action: String, price: Number, receivedAt: Date }, { versionKey: false, collection: 'signals' }),
);
const Trade = mongoose.model(
  'Trade',
  new Schema({ userId: String, signalId: String, symbol: String, side: String, amount: Number, price: Number, status: String, at: Date }, { versionKey: false, collection: 'trades' }),
);

const app = express();
app.get('/healthz', (_req, res) => {
  res.json({ ok: mongoose.connection.readyState === 1 });
});
app.post('/webhook/:userId', express.text({ type: () => true }), async (req, res) => {
  let alert: { symbol?: string; action?: string; price?: string | number; secret?: string };
  try {
    alert = JSON.parse(String(req.body)) as typeof alert;
  } catch {
    res.status(400).json({ error: 'not JSON' });
    return;
  }
  try {
    const trader = await Trader.findById(req.params.userId).lean();
    const given = Buffer.from(String(alert.secret ?? ''));
    const stored = Buffer.from(trader?.secret ?? '');
    if (!trader || given.length !== stored.length || !timingSafeEqual(given, stored)) {
      res.status(401).json({ error: 'invalid secret' });
      return;
    }
    const price = Number(alert.price);
    const signal = await Signal.create({ userId: trader._id, symbol: alert.symbol, action: alert.action, price, receivedAt: new Date() });
    await Trade.create({ userId: trader._id, signalId: String(signal._id), symbol: alert.symbol, side: alert.action, amount: 20 / price, price, status: 'filled', at: new Date() });
    res.json({ status: 'executed' });
  } catch (err) {
    res.status(500).json({ error: (err as Error).message });
  }
});

async function main() {
  await mongoose.connect(uri);
  const server = app.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    void mongoose.disconnect().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  process.stderr.write(`naive alert handler failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
