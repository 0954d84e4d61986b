import { randomBytes } from 'node:crypto';
import { legacyV1 } from './support/legacy-blob';
import { blobKeyId, decryptSecret, encryptSecret, MasterKeyring } from '../src/credentials-crypto';
import { credentialContext, rewrapFields, signingKeyContext, strategySigningKeyContext, webhookRecordContext, type CredentialField } from '../src/secret-contexts';

const USER = '7d3f1c52-9a4e-4b8f-8c1d-2e6a5b4c3d21';

describe('secret contexts', () => {
  it('bind credentials to user, exchange and field, and signing keys to user and purpose', () => {
    expect(credentialContext(USER, 'okx', 'apiSecretEnc')).toEqual({ aad: `${USER}|okx|apiSecret`, legacyAad: USER });
    expect(credentialContext(USER, 'okx', 'passphraseEnc').aad).toBe(`${USER}|okx|passphrase`);
    expect(signingKeyContext(USER)).toEqual({ aad: `${USER}|tradingview|signing-key` });
  });

  it('a credential blob moved to another field or user does not open', () => {
    const ring = new MasterKeyring([randomBytes(32)]);
    const blob = encryptSecret('s3cret', ring, credentialContext(USER, 'okx', 'apiSecretEnc').aad);
    expect(() => decryptSecret(blob, ring, credentialContext(USER, 'okx', 'apiKeyEnc').aad, USER)).toThrow(/cannot decrypt secret/);
    const other = '0b9e7c1a-3f2d-4e5c-9a8b-7c6d5e4f3a2b';
    expect(() => decryptSecret(blob, ring, credentialContext(other, 'okx', 'apiSecretEnc').aad, other)).toThrow(/cannot decrypt secret/);
  });
});

describe('strategy signing keys', () => {
  const STG = `stg_${'c'.repeat(32)}`;

  it('are bound to the owner and the strategy; a record says which context it has', () => {
    expect(strategySigningKeyContext(USER, STG)).toEqual({ aad: `${USER}|tradingview/${STG}|signing-key` });
    expect(webhookRecordContext({ _id: STG, userId: USER })).toEqual(strategySigningKeyContext(USER, STG));
    expect(webhookRecordContext({ _id: USER, userId: null })).toEqual(signingKeyContext(USER));
    expect(webhookRecordContext({ _id: USER })).toEqual(signingKeyContext(USER));
  });

  it("a strategy's key does not open as the user's own, another strategy's or another user's", () => {
    const ring = new MasterKeyring([randomBytes(32)]);
    const blob = encryptSecret('k', ring, strategySigningKeyContext(USER, STG).aad);
    expect(decryptSecret(blob, ring, strategySigningKeyContext(USER, STG).aad).plain).toBe('k');
    expect(() => decryptSecret(blob, ring, signingKeyContext(USER).aad)).toThrow(/cannot decrypt secret/);
    expect(() => decryptSecret(blob, ring, strategySigningKeyContext(USER, `stg_${'d'.repeat(32)}`).aad)).toThrow(/cannot decrypt secret/);
    expect(() => decryptSecret(blob, ring, strategySigningKeyContext('0b9e7c1a-3f2d-4e5c-9a8b-7c6d5e4f3a2b', STG).aad)).toThrow(/cannot decrypt secret/);
  });
});

describe('rewrapFields', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new MasterKeyring([oldKey]);
  const during = new MasterKeyring([newKey, oldKey]);
  const ctx = (field: CredentialField) => credentialContext(USER, 'okx', field);

  it('rewrites v1 and old-key blobs under the current key, with the new AAD, and leaves current ones alone', () => {
    const current = encryptSecret('passphrase', during, ctx('passphraseEnc').aad);
    const r = rewrapFields<CredentialField>(
      {
        apiKeyEnc: legacyV1('api-key', oldKey, USER),
        apiSecretEnc: encryptSecret('api-secret', before, ctx('apiSecretEnc').aad),
        passphraseEnc: current,
      },
      ctx,
      during,
    );
    if (!r.ok) throw new Error(r.message);
    expect(Object.keys(r.changes).sort()).toEqual(['apiKeyEnc', 'apiSecretEnc']);
    const onlyNew = new MasterKeyring([newKey]);
    expect(blobKeyId(r.changes.apiKeyEnc!)).toBe(onlyNew.current.id);
    expect(decryptSecret(r.changes.apiKeyEnc!, onlyNew, ctx('apiKeyEnc').aad)).toEqual({ plain: 'api-key', current: true });
    expect(decryptSecret(r.changes.apiSecretEnc!, onlyNew, ctx('apiSecretEnc').aad)).toEqual({ plain: 'api-secret', current: true });
  });

  it('has nothing to do for current blobs and empty fields (a re-run changes nothing)', () => {
    const r = rewrapFields<CredentialField>({ apiKeyEnc: encryptSecret('k', during, ctx('apiKeyEnc').aad), apiSecretEnc: null, passphraseEnc: undefined }, ctx, during);
    expect(r).toEqual({ ok: true, changes: {} });
  });

  it('reports a blob no configured key opens, by field, without its value', () => {
    const foreign = encryptSecret('k', new MasterKeyring([randomBytes(32)]), ctx('apiKeyEnc').aad);
    const r = rewrapFields<CredentialField>({ apiKeyEnc: foreign }, ctx, during);
    expect(r).toEqual({ ok: false, field: 'apiKeyEnc', message: 'cannot decrypt secret: sealed under a master key that is not configured' });
  });
});
