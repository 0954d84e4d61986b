import mongoose from 'mongoose';
import type { Logger } from './logger';

/**
 * One connection per process. Works against MongoDB and FerretDB alike: nothing here or
 * in the services relies on multi-document transactions or change streams.
 */
export async function connectMongo(uri: string, logger: Logger): Promise<mongoose.Connection> {
  mongoose.set('strictQuery', true);
  const conn = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    // After the database restarts, find it again within seconds, and never wait forever on
    // a connection it accepted but does not answer on (seen with FerretDB restarts).
    heartbeatFrequencyMS: 5_000,
    serverMonitoringMode: 'poll',
    socketTimeoutMS: 60_000,
    // Indexes are created explicitly at start (syncIndexes), not lazily on first use.
    autoIndex: false,
    // Command events feed mongodb_command_failures_total (mongo-metrics.ts).
    monitorCommands: true,
  });
  await conn.asPromise();
  logger.info({ db: conn.name }, 'connected to MongoDB');
  return conn;
}

export async function pingMongo(conn: mongoose.Connection): Promise<boolean> {
  try {
    if (conn.readyState !== 1 || !conn.db) return false;
    await conn.db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

/**
 * True for a duplicate-key error, including a bulk insert whose every failure is one
 * (the unique index did its job: the document is already there).
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if ((err as { code?: number } | undefined)?.code !== 11000) return false;
  return writeErrorsOf(err).every((w) => w.code === 11000);
}

/**
 * The failed statements of a bulk write (the driver gives one object or a list), each with
 * its index in the batch. Empty when the error does not say which ones failed.
 */
export function writeErrorsOf(err: unknown): Array<{ index: number; code?: number }> {
  const w = (err as { writeErrors?: Array<{ index: number; code?: number }> | { index: number; code?: number } } | undefined)?.writeErrors;
  return w === undefined ? [] : Array.isArray(w) ? w : [w];
}

/** Errors that say the database could not be reached, not that the operation was wrong. */
export function isUnavailableError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; errorLabelSet?: Set<string> } | undefined;
  const name = e?.name ?? '';
  if (/^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|PoolCleared)Error$|^PoolClearedError$/.test(name)) return true;
  if (e?.errorLabelSet instanceof Set && (e.errorLabelSet.has('RetryableWriteError') || e.errorLabelSet.has('ResetPool'))) return true;
  // A bulk write whose connection dropped reports it only in its message.
  return /^Mongo/.test(name) && /connection .* closed|ECONNREFUSED|ECONNRESET|EPIPE|server selection|topology (was )?closed/i.test(e?.message ?? '');
}
