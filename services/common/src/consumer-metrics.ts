import type { NatsConnection } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger';
import { every, type Periodic } from './periodic';

/** One JetStream consumer's state, as every replica sees it (read from the server, not counted locally). */
export interface ConsumerState {
  /** Stored, not yet handed out. */
  pending: number;
  /** Handed out, not yet acked. */
  ackPending: number;
  /** Handed out more than once and not acked yet. */
  redelivered: number;
  /** Last stream sequence below which everything is acked: a stalled consumer's stays put. */
  ackFloor: number;
  /** Age of the oldest message not acked yet (0: none). */
  oldestAgeSeconds: number;
}

/**
 * Gauges and a counter for the JetStream consumers a service reads (labels: stream and
 * consumer names, fixed in code). The gauges come from the server's consumer info, so the
 * "stalled" alert (messages waiting while the ack floor does not move) holds across replicas.
 */
export class ConsumerMetrics {
  private readonly lag: Gauge<'stream' | 'consumer' | 'state'>;
  private readonly ackFloor: Gauge<'stream' | 'consumer'>;
  private readonly age: Gauge<'stream' | 'consumer'>;
  private readonly redeliveries: Counter<'stream' | 'consumer'>;

  constructor(registry: Registry) {
    this.lag = new Gauge({
      name: 'nats_consumer_messages',
      help: 'Messages of a JetStream consumer not acked yet, by state: pending (not handed out), ack_pending (in flight), redelivered (in flight again)',
      labelNames: ['stream', 'consumer', 'state'] as const,
      registers: [registry],
    });
    this.ackFloor = new Gauge({
      name: 'nats_consumer_ack_floor_sequence',
      help: 'Stream sequence up to which a consumer acked everything (does not move while it is stalled)',
      labelNames: ['stream', 'consumer'] as const,
      registers: [registry],
    });
    this.age = new Gauge({
      name: 'nats_consumer_oldest_unacked_age_seconds',
      help: 'Age of the oldest message a consumer has not acked (0: none)',
      labelNames: ['stream', 'consumer'] as const,
      registers: [registry],
    });
    this.redeliveries = new Counter({
      name: 'nats_consumer_redeliveries_total',
      help: 'Messages this replica received that JetStream had delivered before (a nak, a timeout or a crash)',
      labelNames: ['stream', 'consumer'] as const,
      registers: [registry],
    });
  }

  /** Called for each message received; counts it when it is a redelivery. */
  delivered(stream: string, consumer: string, info: { redelivered: boolean }): void {
    if (info.redelivered) this.redeliveries.inc({ stream, consumer });
  }

  /** Reads the consumer's state from the server and sets the gauges. */
  async measure(nc: NatsConnection, stream: string, consumer: string): Promise<ConsumerState> {
    const state = await readConsumerState(nc, stream, consumer);
    this.lag.set({ stream, consumer, state: 'pending' }, state.pending);
    this.lag.set({ stream, consumer, state: 'ack_pending' }, state.ackPending);
    this.lag.set({ stream, consumer, state: 'redelivered' }, state.redelivered);
    this.ackFloor.set({ stream, consumer }, state.ackFloor);
    this.age.set({ stream, consumer }, state.oldestAgeSeconds);
    return state;
  }

  /** Measures every `intervalMs` until stopped; `after` sees each state (billing's own gauges). */
  watch(nc: NatsConnection, stream: string, consumer: string, intervalMs: number, logger: Logger, after?: (s: ConsumerState) => void): Periodic {
    const run = async () => {
      // Not `after?.(await …)`: an optional call skips its arguments, and the measurement with them.
      const state = await this.measure(nc, stream, consumer);
      after?.(state);
    };
    // Once at once too: a scrape right after start sees the consumer, not an empty series.
    run().catch((err: unknown) => logger.warn({ err, consumer }, 'consumer metrics not read yet'));
    return every(intervalMs, `${consumer} consumer metrics`, logger, run);
  }
}

export async function readConsumerState(nc: NatsConnection, stream: string, consumer: string): Promise<ConsumerState> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.consumers.info(stream, consumer);
  const unacked = info.num_pending + info.num_ack_pending;
  let oldestAgeSeconds = 0;
  if (unacked > 0) {
    try {
      const oldest = await jsm.streams.getMessage(stream, { seq: info.ack_floor.stream_seq + 1 });
      oldestAgeSeconds = Math.max(0, (Date.now() - oldest.time.getTime()) / 1000);
    } catch {
      // The message right after the floor expired or was never stored for this filter: age unknown.
    }
  }
  return {
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    ackFloor: info.ack_floor.stream_seq,
    oldestAgeSeconds,
  };
}
