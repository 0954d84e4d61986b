/**
 * What each stored secret is bound to (its AES-GCM AAD), in one place: the service that
 * writes them and `npm run rotate-master-key` that rewrites them must agree byte for byte.
 */
import { decryptSecret, encryptSecret, secretContext, type MasterKeyring } from './credentials-crypto';

/** Encrypted fields of an exchange account and the credential each holds. */
export const CREDENTIAL_FIELDS = { apiKeyEnc: 'apiKey', apiSecretEnc: 'apiSecret', passphraseEnc: 'passphrase' } as const;
export type CredentialField = keyof typeof CREDENTIAL_FIELDS;

/** Encrypted fields of a webhook secret record: the current and the previous signing key. */
export const SIGNING_KEY_FIELDS = ['signingKeyEnc', 'previousSigningKeyEnc'] as const;
export type SigningKeyField = (typeof SIGNING_KEY_FIELDS)[number];

export interface SecretContext {
  aad: string;
  /** Set only where `v1` blobs (AAD = the user id) may still exist: exchange credentials. */
  legacyAad?: string;
}

/** e.g. `<user id>|okx|apiSecret`. */
export function credentialContext(userId: string, exchange: string, field: CredentialField): SecretContext {
  return { aad: secretContext(userId, exchange, CREDENTIAL_FIELDS[field]), legacyAad: userId };
}

/** `<user id>|tradingview|signing-key`: the current and the previous key share it (both are the user's signing key). */
export function signingKeyContext(userId: string): SecretContext {
  return { aad: secretContext(userId, 'tradingview', 'signing-key') };
}

/**
 * `<user id>|tradingview/<strategy id>|signing-key`: a strategy's key is bound to its owner
 * and to the strategy, so a blob copied to another strategy or user does not open there.
 */
export function strategySigningKeyContext(userId: string, strategyId: string): SecretContext {
  return { aad: secretContext(userId, `tradingview/${strategyId}`, 'signing-key') };
}

/** The context of a webhook_secrets record: a user's own (no userId field) or a strategy's. */
export function webhookRecordContext(record: { _id?: unknown; userId?: unknown }): SecretContext {
  return typeof record.userId === 'string' && record.userId !== ''
    ? strategySigningKeyContext(record.userId, String(record._id))
    : signingKeyContext(String(record._id));
}

export type Rewrap<F extends string> =
  | { ok: true; changes: Partial<Record<F, string>> }
  | { ok: false; field: F; message: string };

/**
 * Which of a record's blobs are not sealed under the current master key, re-encrypted under
 * it. Empty `changes` means the record is up to date; a blob no configured key opens is
 * reported (by field, never by value) and nothing of that record is changed.
 */
export function rewrapFields<F extends string>(
  blobs: Partial<Record<F, string | null | undefined>>,
  contextOf: (field: F) => SecretContext,
  ring: MasterKeyring,
): Rewrap<F> {
  const changes: Partial<Record<F, string>> = {};
  for (const field of Object.keys(blobs) as F[]) {
    const blob = blobs[field];
    if (!blob) continue;
    const ctx = contextOf(field);
    try {
      const opened = decryptSecret(blob, ring, ctx.aad, ctx.legacyAad);
      if (!opened.current) changes[field] = encryptSecret(opened.plain, ring, ctx.aad);
    } catch (err) {
      return { ok: false, field, message: (err as Error).message };
    }
  }
  return { ok: true, changes };
}
