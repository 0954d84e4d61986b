import { lookup } from 'node:dns/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { z } from 'zod';
import { isEventType } from '../catalogue';
import { checkTargetUrl, isPrivateAddress } from '../channels/webhook/address-guard';
import { ID_PATTERN } from '../ids';
import { isChannelName, isPreferenceMode } from '../preferences';
import { MAX_SILENCE_HOURS, validSilenceHours } from '../silence';

/**
 * Request checks. Every refusal is INVALID_ARGUMENT whose message starts with a
 * machine-readable reason (`<reason>: <what is wrong>`) a client can branch on.
 */
export function invalid(reason: string, message: string): ConnectError {
  return new ConnectError(`${reason}: ${message}`, Code.InvalidArgument, { 'x-error-reason': reason });
}

const uuid = z.uuid();

export function userIdOf(value: string): string {
  if (!uuid.safeParse(value).success) throw invalid('invalid_user_id', 'user_id must be a user id (UUID)');
  return value;
}

export function idOf(field: string, prefix: string, value: string): string {
  if (!ID_PATTERN(prefix).test(value)) throw invalid(`invalid_${field}`, `${field} is not an id this service gave out`);
  return value;
}

export function pageOf(pageSize: number, pageToken: string): { limit: number; before?: string } {
  if (pageToken) idOf('page_token', 'dlv', pageToken);
  return { limit: Math.min(Math.max(pageSize || 50, 1), 200), ...(pageToken ? { before: pageToken } : {}) };
}

const SUBJECT_ID = /^(sig|trd)_[0-9a-z]{9}[0-9a-f]{12}$/;
export const MAX_SUBJECT_IDS = 20;

/** The signal and trade ids ListDeliveries filters by: trading's ids, at most MAX_SUBJECT_IDS. */
export function subjectIdsOf(ids: readonly string[]): string[] {
  if (ids.length > MAX_SUBJECT_IDS) throw invalid('invalid_subject_ids', `subject_ids takes at most ${MAX_SUBJECT_IDS} ids`);
  for (const id of ids) {
    if (!SUBJECT_ID.test(id)) throw invalid('invalid_subject_ids', 'subject_ids must be signal or trade ids (sig_…, trd_…)');
  }
  return [...ids];
}

export function preferenceOf(p: { eventType: string; channel: string; mode: string }): { key: string; mode?: string } {
  if (!isEventType(p.eventType)) throw invalid('unknown_event_type', `event_type ${JSON.stringify(p.eventType.slice(0, 64))} is not in the catalogue`);
  if (!isChannelName(p.channel)) throw invalid('unknown_channel', 'channel must be telegram, email or webhook');
  if (p.mode !== 'default' && !isPreferenceMode(p.mode)) throw invalid('invalid_mode', 'mode must be on, silent, off, failures_only or default');
  return { key: `${p.eventType}|${p.channel}`, ...(p.mode === 'default' ? {} : { mode: p.mode }) };
}

export function eventTypesOf(types: string[]): string[] {
  if (types.length > 50) throw invalid('too_many_event_types', 'at most 50 event types');
  for (const t of types) if (!isEventType(t)) throw invalid('unknown_event_type', `event_type ${JSON.stringify(t.slice(0, 64))} is not in the catalogue`);
  return [...new Set(types)];
}

export function descriptionOf(d: string): string {
  if (d.length > 200) throw invalid('invalid_description', 'description is longer than 200 characters');
  return d;
}

/**
 * An endpoint URL the service may call: well-formed, https (unless private targets are
 * allowed), and resolving only to public addresses. Checked again at every attempt (on the
 * address connected to); this early check tells the user now rather than at the first event.
 */
export async function endpointUrlOf(raw: string, allowPrivate: boolean, resolve = lookup): Promise<string> {
  const checked = checkTargetUrl(raw, allowPrivate);
  if (!checked.ok) throw invalid(checked.code, checked.message);
  if (allowPrivate) return checked.url.toString();
  const host = checked.url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string }>;
  try {
    addresses = await resolve(host, { all: true });
  } catch {
    throw invalid('unresolvable_host', `${host} does not resolve`);
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad || addresses.length === 0) throw invalid('private_target', `${host} resolves to ${bad?.address ?? 'nothing'}, a private, loopback or link-local address`);
  return checked.url.toString();
}

export function silenceHoursOf(hours: number): number {
  if (!validSilenceHours(hours)) throw invalid('invalid_silence_alert_hours', `silence_alert_hours must be 0 (off) or 1..${MAX_SILENCE_HOURS}`);
  return hours;
}
