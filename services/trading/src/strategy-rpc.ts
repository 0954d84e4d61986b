/**
 * The strategy RPCs of TradingService: input checked by strategy-input.ts (INVALID_ARGUMENT
 * naming the field), ownership by Strategies (another user's strategy is NOT_FOUND, exactly as
 * a missing one).
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  CreateStrategyResponseSchema,
  DeleteStrategyResponseSchema,
  ListStrategiesResponseSchema,
  RiskOverridesSchema,
  RotateWebhookSecretResponseSchema,
  StrategyDefaultsSchema,
  StrategySchema,
  type Strategy as StrategyMessage,
  type TradingService,
} from '@tbot/common';
import type { StoredStrategy, StrategyFields } from './strategies';
import type { Strategies } from './strategies';
import { checkDefaults, checkName, checkRiskOverrides, checkStrategyId, defaultsMessageFields, type Checked } from './strategy-input';
import { RotationConflictError, type Rotated } from './webhook-auth';

type StrategyRpcs = Pick<
  ServiceImpl<typeof TradingService>,
  'createStrategy' | 'listStrategies' | 'updateStrategy' | 'deleteStrategy' | 'rotateStrategySecret'
>;

export const WEBHOOK_PATH = '/api/tradingview/webhook/';

function valid<T>(c: Checked<T>): T {
  if (!c.ok) throw new ConnectError(c.message, Code.InvalidArgument);
  return c.value;
}

const notFound = (): ConnectError => new ConnectError('strategy_id: no such strategy', Code.NotFound);

export function strategyMessage(s: StoredStrategy): StrategyMessage {
  return create(StrategySchema, {
    id: s.id,
    userId: s.userId,
    name: s.name,
    defaults: create(StrategyDefaultsSchema, defaultsMessageFields(s.defaults)),
    riskOverrides: create(RiskOverridesSchema, s.riskOverrides),
    webhookPath: `${WEBHOOK_PATH}${s.id}`,
    createdAt: timestampFromDate(s.createdAt),
    updatedAt: timestampFromDate(s.updatedAt),
  });
}

async function rotated(work: Promise<Rotated | null>): Promise<Rotated> {
  try {
    const r = await work;
    if (!r) throw notFound();
    return r;
  } catch (err) {
    if (err instanceof RotationConflictError) throw new ConnectError(err.message, Code.Aborted);
    throw err;
  }
}

export function strategyRpcs(strategies: Strategies, userIdOf: (value: string) => string): StrategyRpcs {
  return {
    async createStrategy(req) {
      const userId = userIdOf(req.userId);
      const fields: StrategyFields = {
        name: valid(checkName(req.name)),
        defaults: valid(checkDefaults(req.defaults)),
        riskOverrides: valid(checkRiskOverrides(req.riskOverrides)),
      };
      let r;
      try {
        r = await strategies.create(userId, fields);
      } catch (err) {
        if (err instanceof RotationConflictError) throw new ConnectError(err.message, Code.Aborted);
        throw err;
      }
      if (!r.ok) throw new ConnectError(r.message, r.reason === 'limit_reached' ? Code.ResourceExhausted : Code.AlreadyExists);
      return create(CreateStrategyResponseSchema, { strategy: strategyMessage(r.strategy), secret: r.secret, signingKey: r.signingKey });
    },

    async listStrategies(req) {
      const userId = userIdOf(req.userId);
      return create(ListStrategiesResponseSchema, { strategies: (await strategies.list(userId)).map(strategyMessage) });
    },

    async updateStrategy(req) {
      const userId = userIdOf(req.userId);
      const strategyId = valid(checkStrategyId(req.strategyId));
      const patch: Partial<StrategyFields> = {};
      if (req.name !== '') patch.name = valid(checkName(req.name));
      if (req.defaults) patch.defaults = valid(checkDefaults(req.defaults));
      if (req.riskOverrides) patch.riskOverrides = valid(checkRiskOverrides(req.riskOverrides));
      const r = await strategies.update(userId, strategyId, patch);
      if (!r.ok) throw r.reason === 'not_found' ? notFound() : new ConnectError(r.message, Code.AlreadyExists);
      return strategyMessage(r.strategy);
    },

    async deleteStrategy(req) {
      const userId = userIdOf(req.userId);
      const strategyId = valid(checkStrategyId(req.strategyId));
      if (!(await strategies.delete(userId, strategyId))) throw notFound();
      return create(DeleteStrategyResponseSchema, {});
    },

    async rotateStrategySecret(req) {
      const userId = userIdOf(req.userId);
      const strategyId = valid(checkStrategyId(req.strategyId));
      const r = await rotated(strategies.rotateSecret(userId, strategyId));
      return create(RotateWebhookSecretResponseSchema, {
        secret: r.secret,
        signingKey: r.signingKey,
        previousValidUntil: r.previousValidUntil ? timestampFromDate(r.previousValidUntil) : undefined,
      });
    },
  };
}
