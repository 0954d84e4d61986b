import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  GetPositionsResponseSchema,
  PositionSchema,
  RotateWebhookSecretResponseSchema,
  SetExchangeCredentialsResponseSchema,
  ExchangeBalanceSchema,
  ExchangeStatusSchema,
  TestExchangeConnectionResponseSchema,
  SignalStatus,
  SubmitSignalResponseSchema,
  type SubmitSignalRequest,
  type SubmitSignalResponse,
  type TradingService,
} from '@tbot/common';
import { z } from 'zod';
import type { Accounts } from './accounts';
import type { ExchangeConnection } from './exchange-connection';
import type { TradingModels } from './models';
import { loadRiskProfile, profileMessage, saveRiskProfile, validateProfile } from './risk-profiles';
import type { SignalIntake, SubmitInput, SubmitResult } from './signal-intake';
import type { Strategies } from './strategies';
import { checkStrategyId } from './strategy-input';
import { historyRpcs } from './history-rpc';
import { strategyRpcs } from './strategy-rpc';
import { RotationConflictError, type WebhookAuth } from './webhook-auth';

const STATUS: Record<SubmitResult['status'], SignalStatus> = {
  executed: SignalStatus.EXECUTED,
  accepted: SignalStatus.ACCEPTED,
  duplicate: SignalStatus.DUPLICATE,
  rejected: SignalStatus.REJECTED,
  failed: SignalStatus.FAILED,
};

const userIdSchema = z.uuid();

function userIdOf(value: string): string {
  const r = userIdSchema.safeParse(value);
  if (!r.success) throw new ConnectError('user_id: must be a user id (UUID)', Code.InvalidArgument);
  return r.data;
}

/**
 * The alert of a SubmitSignal request or of an ALERTS stream message, checked: a malformed
 * id is InvalidArgument. `now` is the receipt time when the request carries none.
 */
export function submitInputOf(req: SubmitSignalRequest, now: Date): SubmitInput {
  // A strategy URL names only the strategy (its owner is the user); the per-user URL only the user.
  let strategyId = '';
  if (req.strategyId !== '') {
    const c = checkStrategyId(req.strategyId);
    if (!c.ok) throw new ConnectError(c.message, Code.InvalidArgument);
    strategyId = c.value;
  }
  const userId = strategyId !== '' && req.userId === '' ? '' : userIdOf(req.userId);
  const receivedAt = req.receivedAt ? timestampDate(req.receivedAt) : now;
  return {
    userId,
    strategyId,
    body: Buffer.from(req.body),
    signature: req.signature,
    sourceIp: req.sourceIp,
    waitMs: req.waitMs,
    // Never later than now: a sender's clock must not extend how long an alert may wait.
    receivedAt: receivedAt.getTime() > now.getTime() || Number.isNaN(receivedAt.getTime()) ? now : receivedAt,
  };
}

export function answerMessage(r: SubmitResult): SubmitSignalResponse {
  return create(SubmitSignalResponseSchema, {
    status: STATUS[r.status],
    signalId: r.signalId,
    tradeId: r.tradeId ?? '',
    rejectCode: r.rejectCode ?? '',
    rejectRule: r.rejectRule ?? '',
    message: r.message ?? '',
  });
}

export function tradingService(d: {
  models: TradingModels;
  accounts: Accounts;
  signals: SignalIntake;
  auth: WebhookAuth;
  strategies: Strategies;
  connection: ExchangeConnection;
}): ServiceImpl<typeof TradingService> {
  const { models } = d;
  return {
    ...strategyRpcs(d.strategies, userIdOf),
    ...historyRpcs(models, userIdOf),

    async submitSignal(req) {
      return answerMessage(await d.signals.submit(submitInputOf(req, new Date())));
    },

    async rotateWebhookSecret(req) {
      const userId = userIdOf(req.userId);
      try {
        const r = await d.auth.rotate({ userId });
        return create(RotateWebhookSecretResponseSchema, {
          secret: r.secret,
          signingKey: r.signingKey,
          previousValidUntil: r.previousValidUntil ? timestampFromDate(r.previousValidUntil) : undefined,
        });
      } catch (err) {
        if (err instanceof RotationConflictError) throw new ConnectError(err.message, Code.Aborted);
        throw err;
      }
    },

    async setExchangeCredentials(req) {
      const userId = userIdOf(req.userId);
      if (req.exchange && req.exchange !== 'okx') throw new ConnectError('exchange: only "okx" is supported', Code.InvalidArgument);
      const mode = req.mode || 'paper';
      if (!['paper', 'okx-demo', 'okx'].includes(mode)) throw new ConnectError('mode: paper, okx-demo or okx', Code.InvalidArgument);
      let creds;
      if (mode !== 'paper') {
        for (const [field, value] of [['api_key', req.apiKey], ['api_secret', req.apiSecret], ['passphrase', req.passphrase]] as const) {
          if (!value || value.length > 256) throw new ConnectError(`${field}: required for mode ${mode}`, Code.InvalidArgument);
        }
        creds = { apiKey: req.apiKey, apiSecret: req.apiSecret, passphrase: req.passphrase };
      }
      const saved = await d.accounts.save(userId, mode as 'paper' | 'okx-demo' | 'okx', creds);
      return create(SetExchangeCredentialsResponseSchema, { exchange: 'okx', mode, apiKeyHint: saved.apiKeyHint ?? '' });
    },

    async getExchangeStatus(req) {
      const s = await d.connection.status(userIdOf(req.userId));
      return create(ExchangeStatusSchema, {
        exchange: 'okx',
        mode: s.mode,
        apiKeyHint: s.apiKeyHint,
        keyStatus: s.keyStatus,
        checkedAt: s.checkedAt ? timestampFromDate(s.checkedAt) : undefined,
        rejectedCode: s.rejectedCode,
      });
    },

    async testExchangeConnection(req) {
      const r = await d.connection.test(userIdOf(req.userId));
      return create(TestExchangeConnectionResponseSchema, {
        ok: r.ok,
        code: r.ok ? '' : r.code,
        message: r.ok ? '' : r.message,
        balances: r.balances.map((b) => create(ExchangeBalanceSchema, b)),
      });
    },

    async setRiskProfile(req) {
      const userId = userIdOf(req.userId);
      if (!req.profile) throw new ConnectError('profile: required', Code.InvalidArgument);
      const v = validateProfile(req.profile);
      if (!v.ok) throw new ConnectError(v.message, Code.InvalidArgument);
      await saveRiskProfile(models, userId, v.profile);
      return profileMessage(v.profile);
    },

    async getRiskProfile(req) {
      return profileMessage(await loadRiskProfile(models, userIdOf(req.userId)));
    },

    async getPositions(req) {
      const userId = userIdOf(req.userId);
      const positions = await models.Position.find({ userId }).lean();
      return create(GetPositionsResponseSchema, {
        positions: positions
          .filter((p) => p.amount !== 0)
          .map((p) =>
            create(PositionSchema, {
              symbol: p.symbol,
              side: p.amount > 0 ? 'long' : 'short',
              amount: Math.abs(p.amount),
              entryPrice: p.entryPrice,
              mode: p.mode,
              realizedPnl: p.realizedPnl ?? 0,
            }),
          ),
      });
    },
  };
}
