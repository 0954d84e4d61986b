import { openSecret, sealSecret, secretContext, type MasterKeyring } from '@tbot/common';

/**
 * Outbound endpoints' whsec_ secrets at rest: sealed with the shared secret box
 * (@tbot/common secret-box.ts, AES-256-GCM) under NOTIFICATIONS_MASTER_KEY, bound to the
 * endpoint and its owner, so a blob copied onto another endpoint or user does not open.
 *
 * Records written before secrets were sealed hold the plaintext in `secret`; they still
 * sign, and WebhookEndpoints.sealStored re-seals them at start (and any blob under an older
 * master key), so after one start with the new key ring the old key can be dropped.
 */

export interface StoredSecret {
  /** `v2.<key id>.…` (secret-box.ts). */
  sealed?: string;
  /** Plaintext whsec_…, only in records from before sealing (re-sealed at start). */
  secret?: string;
  createdAt: Date;
  /** Set on the previous secret at a rotation: it signs alongside the new one until then. */
  expiresAt: Date | null;
}

/** `<user>|webhook-endpoint/<endpoint id>|whsec`. */
export const endpointSecretContext = (endpointId: string, userId: string): string => secretContext(userId, `webhook-endpoint/${endpointId}`, 'whsec');

export class EndpointSecretBox {
  constructor(private readonly ring: MasterKeyring) {}

  seal(ep: { _id: string; userId: string }, plain: string): string {
    return sealSecret(plain, this.ring, endpointSecretContext(ep._id, ep.userId));
  }

  /** The plaintext, and whether it is stored as it should be (sealed under the current key). Throws without detail when it does not open. */
  open(ep: { _id: string; userId: string }, s: StoredSecret): { plain: string; current: boolean } {
    if (s.sealed) return openSecret(s.sealed, this.ring, endpointSecretContext(ep._id, ep.userId));
    if (typeof s.secret === 'string' && s.secret.startsWith('whsec_')) return { plain: s.secret, current: false };
    throw new Error('endpoint secret record holds neither a sealed nor a legacy secret');
  }
}
