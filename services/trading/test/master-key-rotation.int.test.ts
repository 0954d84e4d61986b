import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { legacyV1 } from './support/legacy-blob';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SignalStatus } from '@tbot/common';
import { REPO_ROOT, type Child } from '@tbot/local-stack';
import { createProTrader, signAlert, stackTradingClient, startBillingHarness, startReplica, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { masterKeyId, parseMasterKey } from '../src/credentials-crypto';

// Exchange credentials and webhook signing keys through a master-key rotation, with the real
// trading service and `npm run rotate-master-key`'s compiled CLI against the same database:
// blobs of the old format (before key ids) still work, the CLI moves everything to the new
// key, a re-run changes nothing, and a trading service given only the new key still trades.

const CLI = path.join(REPO_ROOT, 'services', 'trading', 'dist', 'cli', 'rotate-master-key.js');
const OLD_KEY = TEST_SECRETS.exchangeKeysMasterKey;
const NEW_KEY = randomBytes(32).toString('base64');

describe('master key rotation', () => {
  let h: BillingHarness;
  let db: mongoose.Connection;
  let replica: Child | undefined;

  beforeAll(async () => {
    h = await startBillingHarness();
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 37_000);
    db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
  });
  afterAll(async () => {
    await replica?.stop();
    await db?.close();
    await h?.stop();
  });

  async function rotate(keys: string, ...args: string[]): Promise<{ code: number; lines: Array<Record<string, unknown>>; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
        env: { ...process.env, MONGODB_URI: h.stack.mongoUri, EXCHANGE_KEYS_MASTER_KEY: keys },
        timeout: 60_000,
      });
      return { code: 0, lines: stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      const lines = (e.stdout ?? '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      return { code: typeof e.code === 'number' ? e.code : -1, lines, stderr: e.stderr ?? '' };
    }
  }

  const blobsOf = async (): Promise<string[]> => {
    const accounts = await db.collection('exchange_accounts').find({}).toArray();
    const secrets = await db.collection('webhook_secrets').find({}).toArray();
    return [
      ...accounts.flatMap((a) => [a.apiKeyEnc, a.apiSecretEnc, a.passphraseEnc]),
      ...secrets.flatMap((s) => [s.signingKeyEnc, s.previousSigningKeyEnc]),
    ].filter((b): b is string => typeof b === 'string' && b !== '');
  };

  it('reads old-format credentials, re-encrypts everything under the new key (re-runnable), and the old key can then be dropped', async () => {
    const trading = stackTradingClient(h.stack);
    const profile = { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, maxOrderNotional: 10_000 };
    const okx = { apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase };

    // One user whose credentials are saved now (v2), one whose were saved before key ids (v1).
    const fresh = await createProTrader(h.stack, 'mk-fresh');
    await trading.setRiskProfile({ userId: fresh.id, profile });
    await trading.setExchangeCredentials({ userId: fresh.id, exchange: 'okx', mode: 'okx-demo', ...okx });
    // A strategy's signing key is bound to its owner and the strategy: the CLI must rewrap it with that context.
    const strategy = await trading.createStrategy({ userId: fresh.id, name: 'mk', defaults: { symbol: 'BTCUSDT', action: 'buy' } });
    const legacy = await createProTrader(h.stack, 'mk-legacy');
    await trading.setRiskProfile({ userId: legacy.id, profile });
    await db.collection('exchange_accounts').insertOne({
      _id: legacy.id as unknown as never,
      exchange: 'okx',
      mode: 'okx-demo',
      apiKeyEnc: legacyV1(okx.apiKey, parseMasterKey(OLD_KEY), legacy.id),
      apiSecretEnc: legacyV1(okx.apiSecret, parseMasterKey(OLD_KEY), legacy.id),
      passphraseEnc: legacyV1(okx.passphrase, parseMasterKey(OLD_KEY), legacy.id),
      apiKeyHint: okx.apiKey.slice(-4),
      updatedAt: new Date(),
    });
    const oldId = masterKeyId(parseMasterKey(OLD_KEY));
    const newId = masterKeyId(parseMasterKey(NEW_KEY));
    expect((await blobsOf()).every((b) => b.startsWith(`v2.${oldId}.`) || b.startsWith('v1.'))).toBe(true);

    const buy = (client: ReturnType<typeof stackTradingClient>, user: { id: string; secret: string }, id: string, signingKey?: string) => {
      const body = JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, id, timestamp: new Date().toISOString(), ...(signingKey ? {} : { secret: user.secret }) });
      return client.submitSignal({ userId: user.id, body: Buffer.from(body), signature: signingKey ? signAlert(body, signingKey) : '', waitMs: 2500 });
    };
    // The old format still opens: the fake OKX checks every request's signature, so wrong keys would be refused.
    const before = h.okx.orders.length;
    expect(await buy(trading, legacy, `mk-legacy-${Date.now()}`)).toMatchObject({ status: SignalStatus.EXECUTED });
    expect(h.okx.orders.length).toBe(before + 1);

    // A dry run changes nothing and says what is left.
    const dry = await rotate(`${NEW_KEY},${OLD_KEY}`, '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.lines.find((l) => l.collection === 'exchange_accounts')).toMatchObject({ would_rewrite: 2 });
    expect((await blobsOf()).some((b) => b.startsWith(`v2.${newId}.`))).toBe(false);

    const first = await rotate(`${NEW_KEY},${OLD_KEY}`);
    expect(first.code).toBe(0);
    expect(first.lines.find((l) => l.collection === 'exchange_accounts')).toMatchObject({ rewritten: 2, failed: [] });
    expect(first.lines.find((l) => l.collection === 'webhook_secrets')).toMatchObject({ rewritten: 3, failed: [] });
    expect(first.lines.at(-1)).toMatchObject({ current_key_id: newId, remaining: 0 });
    const blobs = await blobsOf();
    expect(blobs.length).toBeGreaterThanOrEqual(8);
    expect(blobs.every((b) => b.startsWith(`v2.${newId}.`))).toBe(true);
    for (const line of [...first.lines.map((l) => JSON.stringify(l)), first.stderr]) {
      for (const secret of [OLD_KEY, NEW_KEY, okx.apiSecret, okx.passphrase, fresh.signingKey, strategy.signingKey]) expect(line).not.toContain(secret);
    }

    // Idempotent: a second run finds nothing to do.
    const again = await rotate(`${NEW_KEY},${OLD_KEY}`);
    expect(again.code).toBe(0);
    expect(again.lines.filter((l) => l.collection).map((l) => l.rewritten)).toEqual([0, 0]);

    // A trading service with the new key alone trades for both users and checks X-Signature.
    const started = await startReplica(h, 'trading', { EXCHANGE_KEYS_MASTER_KEY: NEW_KEY });
    replica = started.child;
    const onNewKey = stackTradingClient(h.stack, { baseUrl: started.url, timeoutMs: 20_000 });
    const placed = h.okx.orders.length;
    expect(await buy(onNewKey, legacy, `mk-legacy-new-${Date.now()}`)).toMatchObject({ status: SignalStatus.EXECUTED });
    expect(await buy(onNewKey, fresh, `mk-fresh-new-${Date.now()}`, fresh.signingKey)).toMatchObject({ status: SignalStatus.EXECUTED });
    const signed = JSON.stringify({ price: 37000, id: `mk-strategy-new-${Date.now()}`, timestamp: new Date().toISOString() });
    const byStrategy = await onNewKey.submitSignal({
      strategyId: strategy.strategy!.id,
      body: Buffer.from(signed),
      signature: signAlert(signed, strategy.signingKey),
      waitMs: 2500,
    });
    expect(byStrategy).toMatchObject({ status: SignalStatus.EXECUTED });
    expect(h.okx.orders.length).toBe(placed + 3);
  });

  it('refuses a bad key list without echoing it, and reports blobs no configured key opens', async () => {
    const bad = await rotate('not-a-key-but-secret-looking');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('EXCHANGE_KEYS_MASTER_KEY must be 32 bytes, hex or base64');
    expect(bad.stderr).not.toContain('not-a-key-but-secret-looking');

    // Everything is under NEW_KEY now: the old key alone opens nothing, and says where.
    const wrong = await rotate(OLD_KEY);
    expect(wrong.code).toBe(1);
    const accounts = wrong.lines.find((l) => l.collection === 'exchange_accounts') as { failed: Array<{ field: string; reason: string }> };
    expect(accounts.failed.length).toBeGreaterThanOrEqual(2);
    expect(accounts.failed[0]).toMatchObject({ field: 'apiKeyEnc', reason: 'cannot decrypt secret: sealed under a master key that is not configured' });
    expect((await blobsOf()).every((b) => b.startsWith(`v2.${masterKeyId(parseMasterKey(NEW_KEY))}.`))).toBe(true);
  });
});
