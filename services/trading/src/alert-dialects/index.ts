/**
 * One normaliser from the alert dialects traders already use (TradersPost, 3Commas,
 * WunderTrading, Alertatron, Finandy, PineConnector, TradeWzrd, Tickerly, open-source bots,
 * our own JSON) to our alert: decode → pick the dialect → read each command into our fields →
 * check them (alert.ts) → require what must be there (complete.ts).
 *
 * A message may hold several commands (a JSON array, several text lines, several Alertatron
 * market() calls); they are returned in the order written and executed in that order.
 */
import { findPlaceholder, malformed, readAlertFields, type Alert, type AlertRefusal, type PartialAlert } from '../alert';
import { alertatronSecret, isAlertatron, readAlertatron } from './alertatron';
import { isObj, refusalOf, type Command, type DialectResult } from './command';
import { requireComplete, type AlertDefaults } from './complete';
import { csvSecret, csvTokens, readCsvCommand } from './csv-commands';
import { decodeMessage } from './decode';
import { jsonSecret, readJsonCommand } from './json-fields';
import { pipeSecret, pipeTokens, readPipeCommand } from './pipe-delimited';
import { readPlainCommand, spaceTokens } from './plain-command';
import { unsupportedJsonDialect } from './recognised-unsupported';
import { applyDcaStartDeal, isDcaStartDeal } from './three-commas';
import { paramOf, secretParam } from './text-params';

export type { AlertDefaults } from './complete';
export { requireComplete } from './complete';

/** More would be a script, not an alert; and each command is a trade. */
export const MAX_COMMANDS = 10;

const PLACEHOLDER = /\{\{[^{}]*\}\}/;

type LineDialect = 'pipe' | 'csv' | 'plain';

function lineDialect(line: string): LineDialect {
  if (line.includes('|')) return 'pipe';
  if (line.includes(',')) return 'csv';
  return 'plain';
}

/** Command lines of a text message: blank lines, # comments and a lone secret= line are not commands. */
function commandLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('//') && paramOf(l)?.key !== 'secret');
}

/** Reads a message into commands in our field names, without checking them yet. */
export function readAlertMessage(raw: string): DialectResult {
  const decoded = decodeMessage(raw);
  if ('ok' in decoded) return decoded;
  try {
    if (decoded.kind === 'text') {
      const m = PLACEHOLDER.exec(decoded.text);
      if (m) {
        const token = m[0].length > 40 ? `${m[0].slice(0, 37)}...` : m[0];
        return { ok: false, code: 'unresolved_placeholder', message: `the message contains an unresolved TradingView placeholder ${token}; TradingView did not fill it in for this alert`, field: 'message' };
      }
      if (isAlertatron(decoded.text)) return bounded('alertatron', readAlertatron(decoded.text));
      const lines = commandLines(decoded.text);
      if (lines.length === 0) throw malformed('message', 'the alert message holds no command');
      const dialects = new Set(lines.map(lineDialect));
      const commands = lines.map((l) => {
        const d = lineDialect(l);
        return d === 'pipe' ? readPipeCommand(l) : d === 'csv' ? readCsvCommand(l) : readPlainCommand(l);
      });
      return bounded([...dialects].join('+'), commands);
    }
    const placeholder = findPlaceholder(decoded.value);
    if (placeholder) throw placeholder;
    const bodies = Array.isArray(decoded.value) ? decoded.value : [decoded.value];
    if (bodies.length === 0) throw malformed('message', 'the alert message is an empty list');
    const commands = bodies.map((b, i) => {
      if (!isObj(b)) {
        throw malformed(Array.isArray(decoded.value) ? `[${i}]` : 'message', 'the alert message must be a JSON object (or a list of them)');
      }
      const refusal = unsupportedJsonDialect(b);
      if (refusal) throw refusal;
      const c = readJsonCommand(b);
      return isDcaStartDeal(b) ? applyDcaStartDeal(b, c) : c;
    });
    return bounded(bodies.length === 1 && isObj(bodies[0]) && isDcaStartDeal(bodies[0]) ? '3commas-dca' : 'json', commands);
  } catch (e) {
    return refusalOf(e);
  }
}

function bounded(dialect: string, commands: Command[]): DialectResult {
  if (commands.length > MAX_COMMANDS) throw malformed('message', `at most ${MAX_COMMANDS} commands per alert, got ${commands.length}`);
  return { ok: true, dialect, commands };
}

export type AlertsResult = { ok: true; dialect: string; alerts: Alert[] } | AlertRefusal;

/** A message's commands as written, before defaults: `labels` say where each field was. */
export type CommandsResult =
  | { ok: true; dialect: string; commands: Array<{ partial: PartialAlert; labels?: Readonly<Record<string, string>> }> }
  | AlertRefusal;

/** Every command of the message read and checked, not completed yet (a strategy's defaults come next). */
export function readAlertCommands(raw: string): CommandsResult {
  const read = readAlertMessage(raw);
  if (!read.ok) return read;
  const commands: Array<{ partial: PartialAlert; labels?: Readonly<Record<string, string>> }> = [];
  for (const c of read.commands) {
    try {
      commands.push({ partial: readAlertFields(c.fields, c.labels), labels: c.labels });
    } catch (e) {
      return refusalOf(e);
    }
  }
  return { ok: true, dialect: read.dialect, commands };
}

/**
 * Every command checked and completed. One refused command refuses the message: running
 * half of a two-command flip would leave the position in a state the user did not ask for.
 */
export function parseAlertMessage(raw: string, defaults?: AlertDefaults): AlertsResult {
  const read = readAlertCommands(raw);
  if (!read.ok) return read;
  const alerts: Alert[] = [];
  for (const c of read.commands) {
    const done = requireComplete(c.partial, defaults, c.labels);
    if (!done.ok) return done;
    alerts.push(done.alert);
  }
  return { ok: true, dialect: read.dialect, alerts };
}

/**
 * The webhook secret the message carries, in whichever place its dialect keeps it
 * (secret/passphrase/key in JSON; secret=… or the licence/key position in text). A message
 * whose commands carry different secrets has none: one secret authenticates one message.
 */
export function alertMessageSecret(raw: string): string | undefined {
  const decoded = decodeMessage(raw);
  if ('ok' in decoded) return undefined;
  const found: Array<string | undefined> = [];
  if (decoded.kind === 'json') {
    const bodies = Array.isArray(decoded.value) ? decoded.value : [decoded.value];
    for (const b of bodies) found.push(isObj(b) ? jsonSecret(b) : undefined);
  } else if (isAlertatron(decoded.text)) {
    found.push(alertatronSecret(decoded.text));
  } else {
    const lines = decoded.text.split(/\r?\n/).map((l) => l.trim());
    const lone = lines.map((l) => paramOf(l)).filter((p) => p?.key === 'secret').map((p) => p!.value);
    for (const l of commandLines(decoded.text)) {
      const d = lineDialect(l);
      const s = d === 'pipe' ? pipeSecret(pipeTokens(l)) : d === 'csv' ? csvSecret(csvTokens(l)) : secretParam(spaceTokens(l));
      // A line without its own secret is covered by a secret= line of the message.
      if (s !== undefined || lone.length === 0) found.push(s);
    }
    found.push(...lone);
  }
  if (found.length === 0 || found.some((s) => s === undefined || s === '')) return undefined;
  return found.every((s) => s === found[0]) ? found[0] : undefined;
}
