import { EVENT_TYPES, isEventType } from '../catalogue';
import { ALL_EVENT_TYPES } from '../channels/email/unsubscribe-token';
import { DIGEST_TYPE } from '../digest';
import { preferenceKey } from '../preferences';

/**
 * What an unsubscribe link turns off: email for the event type it names, or for every
 * type with `*`. A fills digest stands for fills. Pure, so the mapping is tested alone.
 */
export function unsubscribeChanges(type: string): { ok: true; eventType: string; changes: Record<string, 'off'> } | { ok: false } {
  if (type === ALL_EVENT_TYPES) {
    return { ok: true, eventType: ALL_EVENT_TYPES, changes: Object.fromEntries(EVENT_TYPES.map((t) => [preferenceKey(t, 'email'), 'off' as const])) };
  }
  const eventType = type === DIGEST_TYPE ? 'order.filled' : type;
  if (!isEventType(eventType)) return { ok: false };
  return { ok: true, eventType, changes: { [preferenceKey(eventType, 'email')]: 'off' } };
}
