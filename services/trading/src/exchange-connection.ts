import type { Logger } from '@tbot/common';
import ccxt from 'ccxt';
import type { Accounts } from './accounts';
import type { AccountBalance } from './exchange/executor';
import { keysRejection } from './exchange/okx-auth';
import type { KeysRejectedNotices } from './keys-rejected';
import type { ExchangeAccountDoc, TradingModels } from './models';

export type KeyStatus = 'not_set' | 'unchecked' | 'ok' | 'rejected';

export interface ExchangeStatusView {
  mode: 'paper' | 'okx-demo' | 'okx';
  apiKeyHint: string;
  keyStatus: KeyStatus;
  checkedAt?: Date;
  rejectedCode: string;
}

type AccountState = Pick<ExchangeAccountDoc, 'mode' | 'apiKeyHint' | 'keysRejectedAt' | 'keysRejectedCode' | 'keysOkAt'>;

/**
 * What the user is told about their keys, from the account record alone. A refusal is the
 * newer news when both are set (keys can be revoked at OKX after a good test); saving new
 * keys replaces the record, so both marks start empty again.
 */
export function exchangeStatusOf(account: AccountState | null | undefined): ExchangeStatusView {
  if (!account || account.mode === 'paper') return { mode: 'paper', apiKeyHint: '', keyStatus: 'not_set', rejectedCode: '' };
  const mode = account.mode as 'okx-demo' | 'okx';
  const base = { mode, apiKeyHint: account.apiKeyHint ?? '', rejectedCode: '' };
  const rejectedAt = account.keysRejectedAt ?? undefined;
  const okAt = account.keysOkAt ?? undefined;
  if (rejectedAt && (!okAt || rejectedAt >= okAt)) return { ...base, keyStatus: 'rejected', checkedAt: rejectedAt, rejectedCode: account.keysRejectedCode ?? '' };
  if (okAt) return { ...base, keyStatus: 'ok', checkedAt: okAt };
  return { ...base, keyStatus: 'unchecked' };
}

export type ConnectionTest =
  | { ok: true; balances: AccountBalance[] }
  | { ok: false; code: 'keys_rejected' | 'exchange_unavailable' | 'exchange_error'; message: string; balances: [] };

/** GetExchangeStatus and TestExchangeConnection: the key status of trading.exchange.keys_rejected, shown and checked. */
export class ExchangeConnection {
  constructor(private readonly d: { models: TradingModels; accounts: Accounts; keysRejected: KeysRejectedNotices; logger: Logger }) {}

  async status(userId: string): Promise<ExchangeStatusView> {
    return exchangeStatusOf(await this.d.models.ExchangeAccount.findById(userId).lean());
  }

  /**
   * One balance read with the saved keys. Its outcome is recorded on the same record the
   * order path marks, and only for the keys it was made with (`updatedAt`), so keys saved
   * meanwhile keep their own status.
   */
  async test(userId: string): Promise<ConnectionTest> {
    const account = await this.d.models.ExchangeAccount.findById(userId).lean();
    const executor = await this.d.accounts.executor(userId);
    try {
      const balances = await executor.balances();
      if (account && account.mode !== 'paper') {
        await this.d.models.ExchangeAccount.updateOne(
          { _id: userId, updatedAt: account.updatedAt },
          { $set: { keysOkAt: new Date(), keysRejectedAt: null, keysRejectedCode: '' } },
        );
      }
      return { ok: true, balances };
    } catch (err) {
      const rejection = keysRejection(err);
      if (rejection && account && account.mode !== 'paper') {
        // The executor announces it in the background as well; the conditional update lets
        // one of the two through. Awaited here so the status read next says "rejected".
        await this.d.keysRejected.report(userId, account.mode, account.updatedAt, rejection, 'balance');
        return { ok: false, code: 'keys_rejected', message: rejection.code ? `${rejection.code}: ${rejection.message}` : rejection.message, balances: [] };
      }
      if (err instanceof ccxt.NetworkError) return { ok: false, code: 'exchange_unavailable', message: 'the exchange could not be reached; try again', balances: [] };
      this.d.logger.warn({ err, user_id: userId }, 'exchange connection test failed');
      return { ok: false, code: 'exchange_error', message: err instanceof Error ? err.message.slice(0, 200) : 'the exchange refused the request', balances: [] };
    }
  }
}
