import type { ChannelName } from './channel';
import type { EventType } from './catalogue';

/**
 * What a user wants per event type and channel. Pure: the store keeps only what a user
 * changed; everything else is the default below.
 */

export const PREFERENCE_MODES = ['on', 'silent', 'off', 'failures_only'] as const;
export type PreferenceMode = (typeof PREFERENCE_MODES)[number];
export const isPreferenceMode = (v: string): v is PreferenceMode => (PREFERENCE_MODES as readonly string[]).includes(v);

export const CHANNELS: readonly ChannelName[] = ['telegram', 'email', 'webhook'];
export const isChannelName = (v: string): v is ChannelName => (CHANNELS as readonly string[]).includes(v);

/** A user's own choices, keyed `<event type>|<channel>`. */
export type UserPreferences = Partial<Record<string, PreferenceMode>>;

export const preferenceKey = (type: EventType, channel: ChannelName) => `${type}|${channel}`;

/**
 * Defaults: what costs money or a position is on everywhere; fills are on; noise
 * (order sent, routine subscription updates) is silent on Telegram and off by email.
 * Outbound webhooks are integrations: they get every event unless the user says otherwise.
 */
export function defaultMode(type: EventType, channel: ChannelName): PreferenceMode {
  if (channel === 'webhook') return 'on';
  switch (type) {
    case 'order.submitted':
    case 'subscription.updated':
      return channel === 'telegram' ? 'silent' : 'off';
    case 'order.filled':
      // A fill is worth a chat message, not an email each.
      return channel === 'email' ? 'off' : 'on';
    default:
      return 'on';
  }
}

export function modeFor(prefs: UserPreferences, type: EventType, channel: ChannelName): { mode: PreferenceMode; isDefault: boolean } {
  const own = prefs[preferenceKey(type, channel)];
  return own ? { mode: own, isDefault: false } : { mode: defaultMode(type, channel), isDefault: true };
}

export type SendDecision = { send: false } | { send: true; silent: boolean };

/** Whether an event of this kind goes out on a channel, and quietly or not. */
export function decide(mode: PreferenceMode, failure: boolean): SendDecision {
  switch (mode) {
    case 'on':
      return { send: true, silent: false };
    case 'silent':
      return { send: true, silent: true };
    case 'failures_only':
      return failure ? { send: true, silent: false } : { send: false };
    case 'off':
      return { send: false };
  }
}
