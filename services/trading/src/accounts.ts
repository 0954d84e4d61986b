import type { Logger } from '@tbot/common';
import { decryptSecret, encryptSecret } from './credentials-crypto';
import type { OrderExecutor } from './exchange/executor';
import type { MarketCatalog } from './exchange/markets';
import { createOkxClient, type Exchange, type ExchangeMode } from './exchange/okx-client';
import { OkxExecutor } from './exchange/okx-executor';
import { PaperExecutor } from './exchange/paper-executor';
import type { ExchangeAccountDoc, TradingModels } from './models';

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
    private readonly masterKey: Buffer,
    private readonly markets: MarketCatalog,
    private readonly opts: { apiBase?: string; timeoutMs: number; paperStartingBalance: number },
    private readonly logger: Logger,
  ) {}

  async save(userId: string, mode: ExchangeMode, creds: Credentials | undefined): Promise<ExchangeAccountDoc> {
    const enc = (v: string) => encryptSecret(v, this.masterKey, userId);
    const doc = {
      _id: userId,
      exchange: 'okx',
      mode,
      apiKeyEnc: creds ? enc(creds.apiKey) : null,
      apiSecretEnc: creds ? enc(creds.apiSecret) : null,
      passphraseEnc: creds ? enc(creds.passphrase) : null,
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
      const dec = (v: string | null | undefined) => (v ? decryptSecret(v, this.masterKey, userId) : undefined);
      const client = createOkxClient({
        apiKey: dec(account.apiKeyEnc),
        secret: dec(account.apiSecretEnc),
        password: dec(account.passphraseEnc),
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
    return new OkxExecutor(account.mode as 'okx' | 'okx-demo', cached.client, this.logger);
  }
}
