/**
 * What every dialect module produces: one command in our own field names (those of
 * alert.ts: symbol, action, quantity, size_type, ...), and where the user wrote each of them,
 * so that a refusal names the user's field ("tv_instrument"), not ours.
 */
import { AlertError, type AlertRefusal } from '../alert';

export type Obj = Record<string, unknown>;

export interface Command {
  fields: Obj;
  labels: Record<string, string>;
}

export type DialectResult = { ok: true; dialect: string; commands: Command[] } | AlertRefusal;

export function newCommand(): Command {
  return { fields: {}, labels: {} };
}

/** Sets a canonical field once (the first reading wins) and remembers the user's name for it. */
export function setField(c: Command, name: string, value: unknown, label: string): void {
  if (value === undefined || value === null || Object.prototype.hasOwnProperty.call(c.fields, name)) return;
  c.fields[name] = value;
  if (label !== name) c.labels[name] = label;
}

/** Turns a thrown AlertError into the refusal value every dialect returns. */
export function refusalOf(e: unknown): AlertRefusal {
  if (!(e instanceof AlertError)) throw e;
  return e.field === undefined ? { ok: false, code: e.code, message: e.message } : { ok: false, code: e.code, message: e.message, field: e.field };
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
