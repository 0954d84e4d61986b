/**
 * Authenticates TradingView alerts against the user's stored webhook record and rotates it.
 * The decisions (which pairs are valid, what a rotation leaves) are in webhook-secret.ts;
 * this adds the database and the master key.
 */
import { isDuplicateKeyError, type Logger } from '@tbot/common';
import { alertMessageSecret } from './alert-dialects';
import { decryptSecret, encryptSecret, type MasterKeyring } from './credentials-crypto';
import type { TradingModels } from './models';
import { signingKeyContext } from './secret-contexts';
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
  async authenticate(userId: string, body: Buffer, signature: string, raw: string, now = new Date()): Promise<boolean> {
    const stored = await this.d.models.WebhookSecret.findById(userId).lean();
    if (!stored) return false;
    const pairs = acceptedPairs(stored, now);
    if (signature) {
      for (const pair of pairs) {
        const key = this.signingKey(userId, pair.signingKeyEnc);
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
  async rotate(userId: string, now = new Date()): Promise<Rotated> {
    const { models, ring, overlapSeconds } = this.d;
    for (let attempt = 0; attempt < ROTATE_ATTEMPTS; attempt++) {
      const existing = (await models.WebhookSecret.findById(userId).lean()) as WebhookSecretRecord | null;
      const secret = generateWebhookSecret();
      const signingKey = generateSigningKey();
      const record = rotatedRecord(
        existing,
        { hash: hashWebhookSecret(secret), signingKeyEnc: encryptSecret(signingKey, ring, signingKeyContext(userId).aad) },
        now,
        overlapSeconds,
      );
      if (existing) {
        const r = await models.WebhookSecret.replaceOne({ _id: userId, rotatedAt: existing.rotatedAt }, { _id: userId, ...record });
        if (r.matchedCount === 0) continue;
      } else {
        try {
          await models.WebhookSecret.create({ _id: userId, ...record });
        } catch (err) {
          if (isDuplicateKeyError(err)) continue;
          throw err;
        }
      }
      return { secret, signingKey, previousValidUntil: record.previousValidUntil ?? undefined };
    }
    throw new RotationConflictError();
  }

  /** The decrypted key, or null when there is none or it cannot be opened (logged without values). */
  private signingKey(userId: string, blob: string | null): string | null {
    if (!blob) return null;
    try {
      return decryptSecret(blob, this.d.ring, signingKeyContext(userId).aad).plain;
    } catch (err) {
      this.d.logger.warn({ user_id: userId, reason: (err as Error).message }, 'webhook signing key cannot be decrypted');
      return null;
    }
  }
}
