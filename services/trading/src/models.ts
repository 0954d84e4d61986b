import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

const webhookSecretSchema = new Schema(
  {
    _id: { type: String, required: true }, // user id, or strategy id for a strategy's record
    // Set on a strategy's record: its owner (the signing key is bound to owner and strategy).
    userId: { type: String, default: null },
    hash: { type: String, required: true }, // sha256 hex of the secret; the secret is never stored
    // X-Signature's HMAC key, AES-256-GCM under the master key (`<user>|tradingview|signing-key`):
    // unlike the hash, what a database read shows cannot sign. Null on records from before it.
    signingKeyEnc: { type: String, default: null },
    // The pair before the last rotation, accepted until previousValidUntil (the overlap).
    previousHash: { type: String, default: null },
    previousSigningKeyEnc: { type: String, default: null },
    previousValidUntil: { type: Date, default: null },
    rotatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'webhook_secrets' },
);

const exchangeAccountSchema = new Schema(
  {
    _id: { type: String, required: true }, // user id
    exchange: { type: String, required: true },
    mode: { type: String, required: true, enum: ['paper', 'okx-demo', 'okx'] },
    // AES-256-GCM blobs (`v2.<key id>.…`) bound to `<user>|<exchange>|<field>`; older `v1` ones
    // to the user id alone, until `npm run rotate-master-key`. Null in paper mode.
    apiKeyEnc: { type: String, default: null },
    apiSecretEnc: { type: String, default: null },
    passphraseEnc: { type: String, default: null },
    apiKeyHint: { type: String, default: '' },
    updatedAt: { type: Date, required: true },
    // Set when OKX first refused these keys (keys-rejected.ts): trading.exchange.keys_rejected
    // is announced once per set of keys. Saving new keys replaces the record, which clears it.
    keysRejectedAt: { type: Date, default: null },
    keysRejectedCode: { type: String, default: '' },
    // Set when a connection test (exchange-connection.ts) found these keys accepted.
    keysOkAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'exchange_accounts' },
);

/**
 * One per user, day-long risk rule and UTC day that refused a signal (limit-notices.ts): its
 * unique _id is what makes trading.risk.limit_reached go out once, across replicas.
 */
const riskLimitNoticeSchema = new Schema(
  {
    _id: { type: String, required: true }, // <user>|<rule>|<YYYY-MM-DD>
    userId: { type: String, required: true },
    rule: { type: String, required: true },
    day: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'risk_limit_notices' },
);

const riskProfileSchema = new Schema(
  {
    _id: { type: String, required: true }, // user id
    tradingEnabled: { type: Boolean, required: true },
    allowedSymbols: { type: [String], default: [] },
    maxOrderNotional: { type: Number, default: null },
    maxPositionNotional: { type: Number, default: null },
    maxOpenPositions: { type: Number, default: null },
    maxOrdersPerMinute: { type: Number, default: null },
    maxOrdersPerDay: { type: Number, default: null },
    cooldownSeconds: { type: Number, default: null },
    dailyLossLimit: { type: Number, default: null },
    maxLeverage: { type: Number, default: null },
    sizingMode: { type: String, required: true },
    sizingValue: { type: Number, required: true },
    allowAlertQuantity: { type: Boolean, default: false },
    closeOppositeFirst: { type: Boolean, default: true },
    marginMode: { type: String, enum: ['cross', 'isolated'], default: 'cross' },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'risk_profiles' },
);

/**
 * A user's strategy: its own webhook URL (the _id) and secret (a webhook_secrets record with
 * the same _id), defaults that fill what its alerts leave out, and risk overrides
 * (strategy-rules.ts). Checked on the way in (strategy-input.ts); stored as checked.
 */
const strategySchema = new Schema(
  {
    _id: { type: String, required: true }, // stg_<32 hex>
    userId: { type: String, required: true },
    name: { type: String, required: true },
    defaults: { type: Schema.Types.Mixed, default: {} },
    riskOverrides: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, timestamps: true, collection: 'strategies', minimize: false },
);
// Names are how a user tells strategies apart in lists and the dashboard.
strategySchema.index({ userId: 1, name: 1 }, { unique: true });

/** One document per de-duplication key: the unique _id makes a repeated alert a no-op. */
const signalKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    signalId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'signal_keys' },
);

/** Every alert received, accepted or not, with what became of it. */
const signalSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    symbol: { type: String, default: '' },
    action: { type: String, default: '' },
    strategy: { type: String, default: '' },
    status: { type: String, required: true },
    rejectCode: { type: String, default: '' },
    rejectRule: { type: String, default: '' },
    message: { type: String, default: '' },
    tradeIds: { type: [String], default: [] },
    sourceIp: { type: String, default: '' },
    dedupeKey: { type: String, default: null },
    // The strategy whose URL received it; '' for the user's default strategy (the per-user URL).
    strategyId: { type: String, default: '' },
    // The ALERTS stream message it came in (0: a direct SubmitSignal call): a message handed
    // out again after its consumer stopped is recognised as the same alert, not a repeat.
    streamSeq: { type: Number, default: 0 },
    // When its outcome was settled (anything but accepted): latency = decidedAt - receivedAt.
    // Null while accepted, and on signals recorded before it existed.
    decidedAt: { type: Date, default: null },
    // The trace the alert came in (the gateway's intake span, carried through NATS); '' untraced.
    traceId: { type: String, default: '' },
  },
  { versionKey: false, collection: 'signals' },
);
// The signal log's pages (newest first), each filter with the page order behind it.
signalSchema.index({ userId: 1, _id: -1 });
signalSchema.index({ userId: 1, status: 1, _id: -1 });
signalSchema.index({ userId: 1, strategyId: 1, _id: -1 });
signalSchema.index({ userId: 1, symbol: 1, _id: -1 });
signalSchema.index({ userId: 1, receivedAt: -1 });

const tradeSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    signalId: { type: String, required: true },
    symbol: { type: String, required: true },
    side: { type: String, required: true, enum: ['buy', 'sell'] },
    orderType: { type: String, required: true },
    // Exchange units: base for spot, contracts for swaps; baseAmount is always base.
    amount: { type: Number, required: true },
    baseAmount: { type: Number, required: true },
    price: { type: Number, default: 0 },
    fee: { type: Number, default: 0 },
    feeCurrency: { type: String, default: '' },
    status: { type: String, required: true, enum: ['submitted', 'filled', 'rejected', 'failed'] },
    mode: { type: String, required: true },
    exchangeOrderId: { type: String, default: '' },
    clientOrderId: { type: String, required: true },
    reduceOnly: { type: Boolean, default: false },
    error: { type: String, default: '' },
    realizedPnl: { type: Number, default: 0 },
    // Position bookkeeping is applied once per trade, when it fills.
    positionApplied: { type: Boolean, default: false },
    // The strategy whose signal placed it; '' for the user's default strategy.
    strategyId: { type: String, default: '' },
    // When its outcome (filled, rejected, failed) was stored: the fill's time on a timeline.
    settledAt: { type: Date, default: null },
  },
  { versionKey: false, timestamps: true, collection: 'trades' },
);
tradeSchema.index({ clientOrderId: 1 }, { unique: true });
tradeSchema.index({ userId: 1, _id: -1 });
// Also the time filter of the trade list and the PnL by day.
tradeSchema.index({ userId: 1, createdAt: -1 });
tradeSchema.index({ userId: 1, status: 1, _id: -1 });
tradeSchema.index({ userId: 1, strategyId: 1, _id: -1 });
tradeSchema.index({ userId: 1, symbol: 1, _id: -1 });
// A signal's timeline: the trades it placed.
tradeSchema.index({ signalId: 1 });
tradeSchema.index({ status: 1, updatedAt: 1 });

const positionSchema = new Schema(
  {
    _id: { type: String, required: true }, // userId|mode|symbol
    userId: { type: String, required: true },
    mode: { type: String, required: true },
    symbol: { type: String, required: true },
    // Signed base amount: positive long, negative short.
    amount: { type: Number, required: true },
    entryPrice: { type: Number, required: true },
    realizedPnl: { type: Number, default: 0 },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'positions' },
);
positionSchema.index({ userId: 1 });

/** Stop-loss and take-profit of paper positions, watched by paper-triggers.ts. */
const paperTriggerSchema = new Schema(
  {
    _id: { type: String, required: true }, // userId|paper|symbol, as the position
    userId: { type: String, required: true },
    symbol: { type: String, required: true },
    side: { type: String, enum: ['long', 'short'], required: true },
    stopLoss: { type: Number, default: null },
    takeProfit: { type: Number, default: null },
    // The signal (and strategy) that set them: the closing trade is recorded under it.
    signalId: { type: String, required: true },
    strategyId: { type: String, default: '' },
    state: { type: String, enum: ['armed', 'firing'], required: true },
    armedAt: { type: Date, required: true },
    firingSince: { type: Date, default: null },
  },
  { versionKey: false, collection: 'paper_triggers' },
);

/** A difference between the book and the exchange the reconciler found (position-reconciler.ts). */
const positionDiscrepancySchema = new Schema(
  {
    _id: { type: String, required: true }, // position id | book version | exchange amount
    userId: { type: String, required: true },
    mode: { type: String, required: true },
    symbol: { type: String, required: true },
    ours: { type: Number, required: true },
    theirs: { type: Number, required: true },
    detectedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'position_discrepancies' },
);
positionDiscrepancySchema.index({ userId: 1, detectedAt: -1 });

const paperAccountSchema = new Schema(
  {
    _id: { type: String, required: true }, // user id
    balances: { type: Map, of: Number, default: {} },
  },
  { versionKey: false, collection: 'paper_accounts' },
);

export type WebhookSecretDoc = InferSchemaType<typeof webhookSecretSchema> & { _id: string };
export type ExchangeAccountDoc = InferSchemaType<typeof exchangeAccountSchema> & { _id: string };
export type RiskProfileDoc = InferSchemaType<typeof riskProfileSchema> & { _id: string };
export type StrategyDoc = InferSchemaType<typeof strategySchema> & { _id: string; createdAt: Date; updatedAt: Date };
export type SignalKeyDoc = InferSchemaType<typeof signalKeySchema> & { _id: string };
export type SignalDoc = InferSchemaType<typeof signalSchema> & { _id: string };
export type TradeDoc = InferSchemaType<typeof tradeSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export type PositionDoc = InferSchemaType<typeof positionSchema> & { _id: string };
export type PaperAccountDoc = InferSchemaType<typeof paperAccountSchema> & { _id: string };
export type PositionDiscrepancyDoc = InferSchemaType<typeof positionDiscrepancySchema> & { _id: string };
export type RiskLimitNoticeDoc = InferSchemaType<typeof riskLimitNoticeSchema> & { _id: string };
export type PaperTriggerDoc = InferSchemaType<typeof paperTriggerSchema> & { _id: string; side: 'long' | 'short' };

export interface TradingModels {
  WebhookSecret: Model<WebhookSecretDoc>;
  ExchangeAccount: Model<ExchangeAccountDoc>;
  RiskProfile: Model<RiskProfileDoc>;
  Strategy: Model<StrategyDoc>;
  SignalKey: Model<SignalKeyDoc>;
  Signal: Model<SignalDoc>;
  Trade: Model<TradeDoc>;
  Position: Model<PositionDoc>;
  PaperAccount: Model<PaperAccountDoc>;
  PaperTrigger: Model<PaperTriggerDoc>;
  PositionDiscrepancy: Model<PositionDiscrepancyDoc>;
  RiskLimitNotice: Model<RiskLimitNoticeDoc>;
}

export async function createTradingModels(conn: Connection): Promise<TradingModels> {
  const m: TradingModels = {
    WebhookSecret: conn.model<WebhookSecretDoc>('WebhookSecret', webhookSecretSchema),
    ExchangeAccount: conn.model<ExchangeAccountDoc>('ExchangeAccount', exchangeAccountSchema),
    RiskProfile: conn.model<RiskProfileDoc>('RiskProfile', riskProfileSchema),
    Strategy: conn.model<StrategyDoc>('Strategy', strategySchema),
    SignalKey: conn.model<SignalKeyDoc>('SignalKey', signalKeySchema),
    Signal: conn.model<SignalDoc>('Signal', signalSchema),
    Trade: conn.model<TradeDoc>('Trade', tradeSchema),
    Position: conn.model<PositionDoc>('Position', positionSchema),
    PaperAccount: conn.model<PaperAccountDoc>('PaperAccount', paperAccountSchema),
    PaperTrigger: conn.model<PaperTriggerDoc>('PaperTrigger', paperTriggerSchema),
    PositionDiscrepancy: conn.model<PositionDiscrepancyDoc>('PositionDiscrepancy', positionDiscrepancySchema),
    RiskLimitNotice: conn.model<RiskLimitNoticeDoc>('RiskLimitNotice', riskLimitNoticeSchema),
  };
  await Promise.all(Object.values(m).map((model: Model<unknown>) => model.syncIndexes()));
  return m;
}
