import type { TradingEvents } from './events';

/** One alert as the gateway (or a direct SubmitSignal call) hands it over. */
export interface SubmitInput {
  /** The per-user URL's user; '' when only the strategy is known (its owner is then the user). */
  userId: string;
  /** The strategy URL's id; '' for the user's default strategy. */
  strategyId: string;
  body: Buffer;
  signature: string;
  sourceIp: string;
  waitMs: number;
  receivedAt: Date;
  /** Sequence of the ALERTS stream message it came in; unset for a direct SubmitSignal call. */
  streamSeq?: number;
}

export interface SubmitResult {
  status: 'executed' | 'accepted' | 'duplicate' | 'rejected' | 'failed';
  signalId: string;
  tradeId?: string;
  rejectCode?: string;
  rejectRule?: string;
  message?: string;
}

/**
 * A refused signal's answer, announced on trading.signal.rejected (notifications tell the
 * trader which rule refused it).
 */
export function rejectedSignal(events: TradingEvents, signalId: string, userId: string, code: string, message: string, rule?: string): SubmitResult {
  events.emit('trading.signal.rejected', `${signalId}:rejected`, {
    signal_id: signalId,
    user_id: userId,
    reject_code: code,
    rule: rule ?? '',
    message,
  });
  return { status: 'rejected', signalId, rejectCode: code, rejectRule: rule, message };
}
