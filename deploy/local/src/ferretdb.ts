import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { spawnChild, type Child, type LineSink } from './child';
import { canConnect, findTool, freePort, waitFor } from './tools';

export interface RunningFerretDB {
  uri: string;
  child: Child;
}

/**
 * Starts FerretDB, data under dataDir with its SQLite backend, or in PostgreSQL when
 * postgresqlUrl is given. It speaks the MongoDB wire protocol, so mongoose connects to
 * it as to MongoDB.
 */
export async function startFerretDB(opts: {
  dataDir: string;
  database?: string;
  port?: number;
  postgresqlUrl?: string;
  sink?: LineSink;
}): Promise<RunningFerretDB> {
  const bin = findTool('ferretdb', process.env.FERRETDB_BIN);
  if (!bin) {
    throw new Error(
      'FerretDB is not installed: run `npm run tools` (builds it with Go into ~/.cache/trading-bot-tools/bin), ' +
        'or set MONGODB_URI to a MongoDB you run yourself',
    );
  }
  const port = opts.port ?? (await freePort());
  const sqliteDir = path.join(opts.dataDir, 'sqlite');
  const stateDir = path.join(opts.dataDir, 'state');
  mkdirSync(sqliteDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const child = spawnChild(
    'ferretdb',
    bin,
    [
      ...(opts.postgresqlUrl
        ? ['--handler=postgresql', `--postgresql-url=${opts.postgresqlUrl}`]
        : ['--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`]),
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${stateDir}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { sink: opts.sink },
  );
  let exitedEarly = false;
  void child.exited.then(() => {
    exitedEarly = true;
  });
  await waitFor('FerretDB to listen', async () => {
    if (exitedEarly) throw new Error('FerretDB exited during start-up (see its log lines)');
    return canConnect('127.0.0.1', port);
  });
  return { uri: `mongodb://127.0.0.1:${port}/${opts.database ?? 'tradingbot'}`, child };
}
