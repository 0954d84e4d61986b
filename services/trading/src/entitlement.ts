import type { Client } from '@connectrpc/connect';
import { ConnectError, Code } from '@connectrpc/connect';
import { withConsumeSpan, type BillingService, type Logger } from '@tbot/common';
import type { NatsConnection } from 'nats';

export const AUTO_TRADING_FEATURE = 'auto_trading';

export type Entitlement = { entitled: true } | { entitled: false; reason: string };

/**
 * Asks billing whether a user may auto-trade, and remembers the answer briefly. Billing's
 * subscription events drop the user's entry at once, so a cancellation takes effect
 * before the cache would expire.
 */
export class EntitlementChecker {
  private readonly cache = new Map<string, { value: Entitlement; until: number }>();

  constructor(
    private readonly billing: Client<typeof BillingService>,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async check(userId: string): Promise<Entitlement> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > Date.now()) return hit.value;
    let value: Entitlement;
    try {
      const user = await this.billing.getUser({ userId });
      const features = user.subscription?.features ?? [];
      value = features.includes(AUTO_TRADING_FEATURE)
        ? { entitled: true }
        : { entitled: false, reason: `plan ${user.subscription?.plan ?? 'free'} (${user.subscription?.status ?? 'none'}) does not include auto-trading` };
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) value = { entitled: false, reason: 'unknown user' };
      else throw err;
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(userId, { value, until: Date.now() + this.ttlMs });
    return value;
  }

  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** Drops cached answers when billing says a subscription changed. */
  listen(nc: NatsConnection): void {
    const sub = nc.subscribe('billing.subscription.>');
    void (async () => {
      for await (const msg of sub) {
        await withConsumeSpan(msg.subject, msg.headers, async () => {
          try {
            const userId = (JSON.parse(new TextDecoder().decode(msg.data)) as { user_id?: string }).user_id;
            if (userId) this.forget(userId);
          } catch (err) {
            this.logger.warn({ err, subject: msg.subject }, 'unreadable billing event');
          }
        });
      }
    })();
  }
}
