import type { Logger } from '@tbot/common';
import { decryptSecret, encryptSecret, type MasterKeyring } from './credentials-crypto';
import type { OrderExecutor } from './exchange/executor';
import type { MarketCatalog } from './exchange/markets';
import { createOkxClient, type Exchange, type ExchangeMode } from './exchange/okx-client';
import { MeteredExecutor } from './exchange/metered-executor';
import { OkxExecutor } from './exchange/okx-executor';
import { PaperExecutor } from './exchange/paper-executor';
import type { KeysRejectedNotices } from './keys-rejected';
import type { TradingMetrics } from './metrics';
import type { ExchangeAccountDoc, TradingModels } from './models';
import { credentialContext, type CredentialField } from './secret-contexts';

export interface Credentials {
  apiKey: string;
  apiSecret: string;
  passphrase: string;
}

/**
 * Each user's exchange account: mode and encrypted credentials. One ccxt client per user
 * (rebuilt when the credentials change), all sharing the catalogue's markets.
 */
export class Accounts {
  private readonly clients = new Map<string, { version: number; client: Exchange }>();

  constructor(
    private readonly models: TradingModels,
    private readonly ring: MasterKeyring,
    private readonly markets: MarketCatalog,
    private readonly opts: { apiBase?: string; timeoutMs: number; paperStartingBalance: number },
    private readonly logger: Logger,
    private readonly keysRejected?: KeysRejectedNotices,
    /** Order latency and OKX errors of OKX accounts (unset in tools and tests). */
    private readonly metrics?: TradingMetrics,
  ) {}

  async save(userId: string, mode: ExchangeMode, creds: Credentials | undefined): Promise<ExchangeAccountDoc> {
    const exchange = 'okx';
    const enc = (field: CredentialField, v: string) => encryptSecret(v, this.ring, credentialContext(userId, exchange, field).aad);
    const doc = {
      _id: userId,
      exchange,
      mode,
      apiKeyEnc: creds ? enc('apiKeyEnc', creds.apiKey) : null,
      apiSecretEnc: creds ? enc('apiSecretEnc', creds.apiSecret) : null,
      passphraseEnc: creds ? enc('passphraseEnc', creds.passphrase) : null,
      apiKeyHint: creds ? creds.apiKey.slice(-4) : '',
      updatedAt: new Date(),
    };
    await this.models.ExchangeAccount.replaceOne({ _id: userId }, doc, { upsert: true });
    this.clients.delete(userId);
    return doc as ExchangeAccountDoc;
  }

  /** The user's executor; paper when nothing is configured. */
  async executor(userId: string): Promise<OrderExecutor> {
    const account = await this.models.ExchangeAccount.findById(userId).lean();
    if (!account || account.mode === 'paper') {
      return new PaperExecutor(this.models, userId, this.opts.paperStartingBalance);
    }
    const version = account.updatedAt.getTime();
    let cached = this.clients.get(userId);
    if (!cached || cached.version !== version) {
      // v1 blobs (before key ids) still open here; `npm run rotate-master-key` rewrites them.
      const dec = (field: CredentialField) => {
        const blob = account[field];
        if (!blob) return undefined;
        const ctx = credentialContext(userId, account.exchange, field);
        return decryptSecret(blob, this.ring, ctx.aad, ctx.legacyAad).plain;
      };
      const client = createOkxClient({
        apiKey: dec('apiKeyEnc'),
        secret: dec('apiSecretEnc'),
        password: dec('passphraseEnc'),
        demo: account.mode === 'okx-demo',
        apiBase: this.opts.apiBase,
        timeoutMs: this.opts.timeoutMs,
      });
      await this.markets.ensureLoaded();
      client.setMarkets(this.markets.markets());
      cached = { version, client };
      if (this.clients.size > 10_000) this.clients.clear();
      this.clients.set(userId, cached);
    }
    const mode = account.mode as 'okx' | 'okx-demo';
    const savedAt = account.updatedAt;
    const executor = new OkxExecutor(mode, cached.client, this.logger, (rejection, operation) => {
      // In the background: the caller is handling the refusal already (a rejected order, a failed read).
      this.keysRejected
        ?.report(userId, mode, savedAt, rejection, operation)
        .catch((err: unknown) => this.logger.error({ err, user_id: userId }, 'refused keys could not be recorded'));
    });
    return this.metrics ? new MeteredExecutor(executor, this.metrics) : executor;
  }
}
