import type { DeliveryOutcome } from '../../channel';
import type { RawBotApiAnswer } from './bot-api';

/**
 * 403 descriptions all mean the chat will not take messages from this bot any more:
 * "bot was blocked by the user", "user is deactivated", "bot was kicked from the group
 * chat", "bot is not a member of the channel chat". 400 "chat not found" means the same
 * (a deleted chat or an id that never existed): retrying cannot help and the binding is
 * dead, so it is treated as gone rather than as a bad message.
 */
const GONE_400 = /chat not found|user is deactivated|PEER_ID_INVALID/i;

/** When Telegram gives no retry_after on a 429 (it always should), wait this long. */
const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * Classifies a sendMessage answer. Pure: the channel applies the side effects (pausing
 * the limiter on 429), the dispatcher the rest (unbind on gone, rebind on movedTo).
 */
export function classifySendAnswer(answer: RawBotApiAnswer<{ message_id?: number }>): DeliveryOutcome {
  const { status, body } = answer;
  const description = body?.description ?? `HTTP ${status}`;
  if (status === 200 && body?.ok) {
    const id = body.result?.message_id;
    return typeof id === 'number' ? { kind: 'delivered', providerId: String(id) } : { kind: 'delivered' };
  }
  if (status === 429) {
    const seconds = body?.parameters?.retry_after;
    const afterMs = typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS;
    return { kind: 'retry', reason: description, afterMs };
  }
  if (status === 403) return { kind: 'gone', reason: description };
  if (status === 400) {
    const to = body?.parameters?.migrate_to_chat_id;
    if (typeof to === 'number' || typeof to === 'string') return { kind: 'gone', reason: description, movedTo: String(to) };
    if (GONE_400.test(description)) return { kind: 'gone', reason: description };
    return { kind: 'failed', reason: description };
  }
  // 401/404: the token is wrong or revoked. Not this message's fault and not the chat's:
  // keep it for when the operator fixes the token.
  if (status === 401 || status === 404) return { kind: 'retry', reason: `bot token rejected: ${description}` };
  // 5xx, a proxy's HTML error page, anything unexpected: transient until shown otherwise.
  if (status >= 500 || !body) return { kind: 'retry', reason: description };
  // Other 4xx (e.g. 413 entity too large, 409) will not change by retrying.
  return { kind: 'failed', reason: description };
}

