/**
 * A user's strategies in the database, each with its own webhook secret (WebhookAuth, record
 * _id = strategy id). Every call names the owner and every query filters on it, so one user's
 * call can never read or change another's strategy: to the caller it does not exist.
 */
import { isDuplicateKeyError } from '@tbot/common';
import type { StrategyDoc, TradingModels } from './models';
import { newStrategyId } from './strategy-input';
import type { RiskOverrides, StrategyDefaults, StrategyRules } from './strategy-rules';
import type { Rotated, WebhookAuth } from './webhook-auth';

export interface StrategyFields {
  name: string;
  defaults: StrategyDefaults;
  riskOverrides: RiskOverrides;
}

export interface StoredStrategy extends StrategyFields, StrategyRules {
  id: string;
  userId: string;
  createdAt: Date;
  updatedAt: Date;
}

export type CreateOutcome =
  | { ok: true; strategy: StoredStrategy; secret: string; signingKey: string }
  | { ok: false; reason: 'limit_reached' | 'name_taken'; message: string };

export type UpdateOutcome = { ok: true; strategy: StoredStrategy } | { ok: false; reason: 'not_found' | 'name_taken'; message: string };

const NOT_FOUND = { ok: false, reason: 'not_found', message: 'no such strategy' } as const;
const nameTaken = (name: string) => ({ ok: false, reason: 'name_taken', message: `a strategy named "${name}" exists already` }) as const;

function stored(doc: StrategyDoc): StoredStrategy {
  return {
    id: doc._id,
    userId: doc.userId,
    name: doc.name,
    defaults: (doc.defaults ?? {}) as StrategyDefaults,
    riskOverrides: (doc.riskOverrides ?? {}) as RiskOverrides,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export class Strategies {
  constructor(private readonly d: { models: TradingModels; auth: WebhookAuth; maxPerUser: number }) {}

  /**
   * The strategy and its first secret. The limit is a count before the insert: two creates
   * racing at the limit can both pass, leaving one strategy over it (harmless, and rare).
   */
  async create(userId: string, fields: StrategyFields): Promise<CreateOutcome> {
    const { Strategy } = this.d.models;
    if ((await Strategy.countDocuments({ userId })) >= this.d.maxPerUser) {
      return { ok: false, reason: 'limit_reached', message: `at most ${this.d.maxPerUser} strategies per user; delete one first` };
    }
    const id = newStrategyId();
    try {
      await Strategy.create({ _id: id, userId, ...fields });
    } catch (err) {
      if (isDuplicateKeyError(err)) return nameTaken(fields.name);
      throw err;
    }
    let rotated: Rotated;
    try {
      rotated = await this.d.auth.rotate({ userId, strategyId: id });
    } catch (err) {
      // A strategy without a secret would only ever answer invalid_secret: better none at all.
      await Strategy.deleteOne({ _id: id, userId }).catch(() => undefined);
      throw err;
    }
    const doc = await Strategy.findOne({ _id: id, userId }).lean();
    return { ok: true, strategy: stored(doc as StrategyDoc), secret: rotated.secret, signingKey: rotated.signingKey };
  }

  async list(userId: string): Promise<StoredStrategy[]> {
    const docs = await this.d.models.Strategy.find({ userId }).sort({ createdAt: 1, _id: 1 }).lean();
    return docs.map((d) => stored(d as StrategyDoc));
  }

  /** For the signal pipeline: the strategy a webhook URL names, whoever owns it (the secret decides then). */
  async byId(strategyId: string): Promise<StoredStrategy | null> {
    const doc = await this.d.models.Strategy.findById(strategyId).lean();
    return doc ? stored(doc as StrategyDoc) : null;
  }

  async update(userId: string, strategyId: string, patch: Partial<StrategyFields>): Promise<UpdateOutcome> {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    try {
      const doc = await this.d.models.Strategy.findOneAndUpdate({ _id: strategyId, userId }, { $set: set }, { new: true }).lean();
      return doc ? { ok: true, strategy: stored(doc as StrategyDoc) } : NOT_FOUND;
    } catch (err) {
      if (isDuplicateKeyError(err)) return nameTaken(patch.name ?? '');
      throw err;
    }
  }

  /** False when the user has no such strategy. Its signals and trades stay (they name it). */
  async delete(userId: string, strategyId: string): Promise<boolean> {
    const r = await this.d.models.Strategy.deleteOne({ _id: strategyId, userId });
    // The secret too, even when the strategy was already gone (a delete stopped half-way).
    await this.d.auth.remove({ userId, strategyId });
    return r.deletedCount === 1;
  }

  /** Null when the user has no such strategy. */
  async rotateSecret(userId: string, strategyId: string): Promise<Rotated | null> {
    if (!(await this.d.models.Strategy.exists({ _id: strategyId, userId }))) return null;
    return this.d.auth.rotate({ userId, strategyId });
  }
}
