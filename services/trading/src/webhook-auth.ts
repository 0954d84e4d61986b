/**
 * Authenticates TradingView alerts against a stored webhook record and rotates it: the user's
 * own (the per-user URL, record _id = user id) or one strategy's (record _id = strategy id,
 * with its owner in `userId`). The decisions (which pairs are valid, what a rotation leaves)
 * are in webhook-secret.ts; this adds the database and the master key.
 */
import { isDuplicateKeyError, type Logger } from '@tbot/common';
import { alertMessageSecret } from './alert-dialects';
import { decryptSecret, encryptSecret, type MasterKeyring } from './credentials-crypto';
import type { TradingModels } from './models';
import { signingKeyContext, strategySigningKeyContext, type SecretContext } from './secret-contexts';
import {
  acceptedPairs,
  generateSigningKey,
  generateWebhookSecret,
  hashWebhookSecret,
  rotatedRecord,
  secretMatches,
  signatureMatches,
  type WebhookSecretRecord,
} from './webhook-secret';

/** Rotations of one user that collide are retried this often before the caller is told to. */
const ROTATE_ATTEMPTS = 5;

export class RotationConflictError extends Error {
  constructor() {
    super('the webhook secret was rotated concurrently; try again');
    this.name = 'RotationConflictError';
  }
}

/** Whose secret: the user's own, or one of the user's strategies'. */
export interface SecretOwner {
  userId: string;
  strategyId?: string;
}

const recordId = (o: SecretOwner): string => o.strategyId ?? o.userId;
const contextOf = (o: SecretOwner): SecretContext =>
  o.strategyId ? strategySigningKeyContext(o.userId, o.strategyId) : signingKeyContext(o.userId);
// A strategy's record names its owner; the user's own record has none. Checked on every read,
// so a record can never authenticate for anyone but its owner.
const ownerFilter = (o: SecretOwner): Record<string, unknown> =>
  o.strategyId ? { _id: o.strategyId, userId: o.userId } : { _id: o.userId, userId: null };

/**
 * Whether a record read by its _id belongs to `o`. The alert path reads by _id alone and
 * checks the owner here: FerretDB answers a filter on anything beyond a bare _id by decoding
 * every record of the collection, once per alert.
 */
const ownedBy = (r: { userId?: string | null }, o: SecretOwner): boolean => (o.strategyId ? r.userId === o.userId : !r.userId);

export interface Rotated {
  secret: string;
  signingKey: string;
  /** When the previous pair stops being accepted; undefined when there is none. */
  previousValidUntil?: Date;
}

export class WebhookAuth {
  constructor(
    private readonly d: { models: TradingModels; ring: MasterKeyring; overlapSeconds: number; logger: Logger },
  ) {}

  /** True when `signature` (X-Signature) or, without one, the message's secret matches a valid pair. */
  async authenticate(owner: SecretOwner, body: Buffer, signature: string, raw: string, now = new Date()): Promise<boolean> {
    const found = await this.d.models.WebhookSecret.findById(owner.strategyId || owner.userId).lean();
    const stored = found && ownedBy(found, owner) ? found : null;
    if (!stored) return false;
    const pairs = acceptedPairs(stored, now);
    if (signature) {
      for (const pair of pairs) {
        const key = this.signingKey(owner, pair.signingKeyEnc);
        if (key !== null && signatureMatches(body, signature, key)) return true;
      }
      return false;
    }
    // Wherever the message's dialect keeps it (secret/passphrase/key, secret=…, a licence position).
    const secret = alertMessageSecret(raw);
    if (secret === undefined) return false;
    // Every pair is compared, so the time taken does not say which one matched.
    let matched = false;
    for (const pair of pairs) matched = secretMatches(secret, pair.hash) || matched;
    return matched;
  }

  /**
   * A new secret and signing key, each returned only here. Compare-and-set on `rotatedAt`, so
   * two concurrent rotations cannot both believe their pair is the current one.
   */
  async rotate(owner: SecretOwner, now = new Date()): Promise<Rotated> {
    const { models, ring, overlapSeconds } = this.d;
    const id = recordId(owner);
    const ownerField = owner.strategyId ? { userId: owner.userId } : {};
    for (let attempt = 0; attempt < ROTATE_ATTEMPTS; attempt++) {
      const existing = (await models.WebhookSecret.findOne(ownerFilter(owner)).lean()) as WebhookSecretRecord | null;
      const secret = generateWebhookSecret();
      const signingKey = generateSigningKey();
      const record = rotatedRecord(
        existing,
        { hash: hashWebhookSecret(secret), signingKeyEnc: encryptSecret(signingKey, ring, contextOf(owner).aad) },
        now,
        overlapSeconds,
      );
      if (existing) {
        const r = await models.WebhookSecret.replaceOne({ ...ownerFilter(owner), rotatedAt: existing.rotatedAt }, { _id: id, ...ownerField, ...record });
        if (r.matchedCount === 0) continue;
      } else {
        try {
          await models.WebhookSecret.create({ _id: id, ...ownerField, ...record });
        } catch (err) {
          if (isDuplicateKeyError(err)) continue;
          throw err;
        }
      }
      return { secret, signingKey, previousValidUntil: record.previousValidUntil ?? undefined };
    }
    throw new RotationConflictError();
  }

  /** Forgets a strategy's secret (the strategy is being deleted): its URL authenticates nothing any more. */
  async remove(owner: SecretOwner & { strategyId: string }): Promise<void> {
    await this.d.models.WebhookSecret.deleteOne(ownerFilter(owner));
  }

  /** The decrypted key, or null when there is none or it cannot be opened (logged without values). */
  private signingKey(owner: SecretOwner, blob: string | null): string | null {
    if (!blob) return null;
    try {
      return decryptSecret(blob, this.d.ring, contextOf(owner).aad).plain;
    } catch (err) {
      this.d.logger.warn({ user_id: owner.userId, strategy_id: owner.strategyId, reason: (err as Error).message }, 'webhook signing key cannot be decrypted');
      return null;
    }
  }
}
