/**
 * `npm start`: the whole system on one machine. FerretDB is started when MONGODB_URI is
 * unset, nats-server when nothing answers at NATS_URL; then billing and the gateway.
 * Ctrl-C stops everything.
 */
import * as path from 'node:path';
import { startStack, REPO_ROOT } from './stack';

async function main() {
  const dataDir = process.env.LOCAL_DATA_DIR ?? path.join(REPO_ROOT, '.data');
  const stack = await startStack({ dataDir, gatewayPort: Number(process.env.PORT ?? 8080) });
  process.stdout.write(
    `\nready: gateway ${stack.gatewayUrl} (try ${stack.gatewayUrl}/readyz), billing ${stack.billingUrl}, trading ${stack.tradingUrl}, ` +
      `MongoDB ${stack.mongoUri}, NATS ${stack.natsUrl}\nCtrl-C stops everything.\n\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // If a service dies on its own, take the rest down too rather than run half a system.
  for (const [name, child] of stack.children) {
    void child.exited.then((code) => {
      if (!stopping) {
        process.stderr.write(`${name} exited (code ${code}); stopping the stack\n`);
        void stop();
      }
    });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`could not start: ${err.message}\n`);
  process.exit(1);
});
