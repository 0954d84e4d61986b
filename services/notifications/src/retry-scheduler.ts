import { every, type Logger, type Periodic } from '@tbot/common';
import type { Deliveries } from './deliveries';
import type { Dispatcher } from './dispatcher';
import type { NotificationMetrics } from './metrics';

/**
 * Picks up every delivery whose time has come: retries after backoff, digests at the end of
 * their minute, and deliveries whose claim expired because the replica attempting them died.
 * Every replica runs it; the claim makes sure one of them attempts each delivery.
 */
export class RetryScheduler {
  private loop?: Periodic;
  private backlog?: Periodic;

  constructor(
    private readonly deliveries: Deliveries,
    private readonly dispatcher: Dispatcher,
    private readonly metrics: NotificationMetrics,
    private readonly logger: Logger,
    private readonly opts: { intervalMs: number; batchSize: number; backlogIntervalMs: number },
  ) {}

  start(): void {
    this.loop = every(this.opts.intervalMs, 'delivery retries', this.logger, () => this.sweep());
    this.backlog = every(this.opts.backlogIntervalMs, 'delivery backlog gauge', this.logger, () => this.measureBacklog());
  }

  /** One pass: attempts what is due, a few at a time; returns how many it took. */
  async sweep(): Promise<number> {
    const due = await this.deliveries.due(this.opts.batchSize);
    let attempted = 0;
    // Small groups in parallel: one slow endpoint (10 s timeout) must not hold up the rest.
    for (let i = 0; i < due.length; i += 8) {
      const results = await Promise.allSettled(due.slice(i, i + 8).map((d) => this.dispatcher.attempt(d._id)));
      attempted += results.filter((r) => r.status === 'fulfilled' && r.value).length;
    }
    return attempted;
  }

  private async measureBacklog(): Promise<void> {
    const oldest = await this.deliveries.oldestPending();
    const now = Date.now();
    for (const channel of ['telegram', 'email', 'webhook'] as const) {
      const at = oldest.get(channel);
      this.metrics.backlogAge.set({ channel }, at ? (now - at.getTime()) / 1000 : 0);
    }
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    await this.backlog?.stop();
  }
}
