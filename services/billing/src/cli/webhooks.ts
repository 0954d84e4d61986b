import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, Outcome, parseServiceTokenSecrets, serviceTokenInterceptor, ServiceTokens, type WebhookEvent } from '@tbot/common';
import { parseWebhooksArgs, USAGE } from './webhooks-args';

// The operator CLI over billing's webhook RPCs (see USAGE). Prints JSON lines.

const row = (e: WebhookEvent) => ({
  event_key: e.eventKey,
  provider: e.provider,
  type: e.type,
  state: e.state,
  outcome: e.outcome ? Outcome[e.outcome]!.toLowerCase() : undefined,
  attempts: e.attempts || undefined,
  last_error: e.lastError || undefined,
  detail: e.detail || undefined,
  trace_id: e.traceId || undefined,
  replayed: e.replayedAt ? true : undefined,
});

async function main(): Promise<void> {
  let command;
  try {
    command = parseWebhooksArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let secrets: string[];
  try {
    secrets = parseServiceTokenSecrets(process.env.SERVICE_TOKEN_SECRET ?? '');
  } catch (err) {
    process.stderr.write(`SERVICE_TOKEN_SECRET (billing's) is needed to call billing: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const tokens = new ServiceTokens('operator', secrets[0]!);
  const billing = createClient(
    BillingService,
    createGrpcTransport({
      baseUrl: process.env.BILLING_URL || 'http://127.0.0.1:50051',
      defaultTimeoutMs: 60_000,
      interceptors: [serviceTokenInterceptor(tokens, 'billing')],
    }),
  );
  const print = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
  switch (command.cmd) {
    case 'list-dead':
      for (const e of (await billing.listDeadLetters({ provider: command.provider ?? '', limit: command.limit ?? 0 })).events) print(row(e));
      break;
    case 'list-unmatched':
      for (const e of (await billing.listUnmatchedEvents({ provider: command.provider ?? '', limit: command.limit ?? 0 })).events) print(row(e));
      break;
    case 'show':
      print({ ...row(await billing.getWebhookEvent({ eventKey: command.eventKey })) });
      break;
    case 'replay-one':
      print({ replayed: (await billing.replayWebhookEvent({ eventKey: command.eventKey })).count });
      break;
    case 'replay-dead':
      print({ replayed: (await billing.replayDeadLetters({ provider: command.provider ?? '' })).count });
      break;
    case 'redeliver':
      print({
        redelivered: (
          await billing.redeliverWebhooks({
            provider: command.provider ?? '',
            since: timestampFromDate(command.since),
            until: command.until ? timestampFromDate(command.until) : undefined,
          })
        ).count,
      });
      break;
    case 'reconcile': {
      const r = await billing.reconcileWebhooks({});
      print({ stripe: r.stripe, paystack: r.paystack });
      break;
    }
  }
}

main().catch((err: Error) => {
  process.stderr.write(`webhooks: ${err.message}\n`);
  process.exit(1);
});
