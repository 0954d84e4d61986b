import { parseServiceTokenSecrets, SERVICE_TOKEN_TTL_SECONDS, signServiceToken } from '../service-auth';

// `npm run service-token -- billing|trading`: prints a service token for an operator's own
// calls (grpcurl), signed as `operator` with SERVICE_TOKEN_SECRET. Valid for five minutes.

function main(): void {
  const audience = process.argv[2];
  if (audience !== 'billing' && audience !== 'trading') {
    process.stderr.write('usage: npm run -s service-token -- billing|trading   (SERVICE_TOKEN_SECRET must be set)\n');
    process.exit(2);
  }
  let secrets: string[];
  try {
    secrets = parseServiceTokenSecrets(process.env.SERVICE_TOKEN_SECRET ?? '');
  } catch (err) {
    process.stderr.write(`SERVICE_TOKEN_SECRET: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(`${signServiceToken({ secret: secrets[0]!, issuer: 'operator', audience, ttlSeconds: SERVICE_TOKEN_TTL_SECONDS })}\n`);
}

main();
