import { connectMongo, createLogger } from '@tbot/common';
import { parseMasterKeys } from '../credentials-crypto';
import { rotateMasterKey } from '../master-key-rotation';
import { createTradingModels } from '../models';

// `npm run rotate-master-key [-- --dry-run]`: re-encrypts every stored exchange credential and
// webhook signing key under the first key of EXCHANGE_KEYS_MASTER_KEY (`new,old`), in the
// database MONGODB_URI names. Prints one JSON line per collection and a summary; exits 0 only
// when nothing is left under an older key (then the old keys can be removed). Safe to stop and
// re-run at any time, and beside running trading services.

const USAGE = 'usage: EXCHANGE_KEYS_MASTER_KEY=<new>,<old> MONGODB_URI=… npm run rotate-master-key [-- --dry-run]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== '--dry-run')) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const uri = process.env.MONGODB_URI ?? '';
  let ring;
  try {
    if (!uri.trim()) throw new Error('MONGODB_URI is required');
    ring = parseMasterKeys(process.env.EXCHANGE_KEYS_MASTER_KEY ?? '');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  // Logs go to stderr so stdout stays the report.
  const logger = createLogger('rotate-master-key', process.env.LOG_LEVEL ?? 'warn', process.stderr);
  const conn = await connectMongo(uri, logger);
  try {
    const models = await createTradingModels(conn);
    const report = await rotateMasterKey(models, ring, { dryRun: args.includes('--dry-run') });
    const print = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
    for (const c of report.collections) {
      print({ collection: c.collection, scanned: c.scanned, [report.dryRun ? 'would_rewrite' : 'rewritten']: c.rewritten, up_to_date: c.upToDate, changed_meanwhile: c.changedMeanwhile, failed: c.failed });
    }
    print({ current_key_id: report.currentKeyId, configured_key_ids: ring.ids, dry_run: report.dryRun, remaining: report.remaining });
    const failed = report.collections.some((c) => c.failed.length > 0);
    process.exitCode = report.remaining === 0 && !failed ? 0 : 1;
  } finally {
    await conn.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`rotate-master-key failed: ${(err as Error).message}\n`);
  process.exit(1);
});
