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
    // Indexes are created explicitly at start (syncIndexes), not lazily on first use.
    autoIndex: false,
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
