import type mongoose from 'mongoose';
import { Counter, type Registry } from 'prom-client';

/** Duplicate keys are how our writes stay idempotent (unique indexes): an answer, not a failure. */
const DUPLICATE_KEY = 11000;

interface CommandFailed {
  commandName: string;
  failure: { code?: number } | Error;
}
interface CommandSucceeded {
  commandName: string;
  reply?: { writeErrors?: Array<{ code?: number }> };
}

/**
 * mongodb_command_failures_total{command}: commands the database refused or that failed on
 * the way (connectMongo turns on command monitoring), plus write errors inside an
 * otherwise successful insert/update/delete. Duplicate keys are left out. The label is the
 * command name (insert, update, find, …): a bounded set, never a collection or a value.
 */
export function instrumentMongo(conn: mongoose.Connection, registry: Registry): void {
  const failures = new Counter({
    name: 'mongodb_command_failures_total',
    help: 'MongoDB commands that failed (duplicate-key answers left out), by command name',
    labelNames: ['command'] as const,
    registers: [registry],
  });
  const client = conn.getClient();
  client.on('commandFailed', (e: CommandFailed) => {
    if ((e.failure as { code?: number }).code === DUPLICATE_KEY) return;
    failures.inc({ command: e.commandName });
  });
  client.on('commandSucceeded', (e: CommandSucceeded) => {
    const errors = e.reply?.writeErrors?.filter((w) => w.code !== DUPLICATE_KEY).length ?? 0;
    if (errors > 0) failures.inc({ command: e.commandName }, errors);
  });
}
