/** `npm run webhooks -- <command>`: the operator's commands, parsed (pure, unit-tested). */
export type WebhooksCommand =
  | { cmd: 'list-dead'; provider?: string; limit?: number }
  | { cmd: 'list-unmatched'; provider?: string; limit?: number }
  | { cmd: 'show'; eventKey: string }
  | { cmd: 'replay-one'; eventKey: string }
  | { cmd: 'replay-dead'; provider?: string }
  | { cmd: 'redeliver'; provider?: string; since: Date; until?: Date }
  | { cmd: 'reconcile' };

export const USAGE = `usage: npm run webhooks -- <command>
  list-dead [--provider stripe|paystack] [--limit N]     dead letters, newest first
  list-unmatched [--provider …] [--limit N]              events parked without a user
  show <event key>                                       what billing knows of one event
  replay <event key>                                     replay one dead letter or unmatched event
  replay --provider stripe|paystack                      replay every dead letter of a provider
  replay [--provider …] --since 2h [--until 30m]         re-deliver what the stream received since then
  reconcile                                              ask Stripe and Paystack for what we missed, now
BILLING_URL (default http://127.0.0.1:50051) says where billing is; SERVICE_TOKEN_SECRET (billing's) signs the calls.`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "2h", "3d" before now, or an ISO date. */
export function parseSince(v: string, now = new Date()): Date {
  const m = /^(\d+)([smhd])$/.exec(v);
  if (m) return new Date(now.getTime() - Number(m[1]) * UNITS[m[2]!]!);
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) throw new Error(`not a duration (2h, 30m, 3d) or ISO date: ${v}`);
  return d;
}

export function parseWebhooksArgs(argv: string[], now = new Date()): WebhooksCommand {
  const [cmd, ...rest] = argv;
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.startsWith('--')) {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`${a} needs a value`);
      flags[a.slice(2)] = value;
      i++;
    } else positional.push(a);
  }
  for (const f of Object.keys(flags)) {
    if (!['provider', 'limit', 'since', 'until'].includes(f)) throw new Error(`unknown option --${f}`);
  }
  const provider = flags.provider;
  if (provider !== undefined && !['stripe', 'paystack'].includes(provider)) throw new Error('--provider is stripe or paystack');
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error('--limit is a positive number');
  const opt = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  switch (cmd) {
    case 'list-dead':
    case 'list-unmatched':
      return opt({ cmd, provider, limit });
    case 'show':
      if (positional.length !== 1) throw new Error('show needs one event key');
      return { cmd: 'show', eventKey: positional[0]! };
    case 'replay':
      if (positional.length === 1 && Object.keys(flags).length === 0) return { cmd: 'replay-one', eventKey: positional[0]! };
      if (positional.length > 0) throw new Error('replay takes an event key or options, not both');
      if (flags.since) return opt({ cmd: 'redeliver' as const, provider, since: parseSince(flags.since, now), until: flags.until ? parseSince(flags.until, now) : undefined });
      if (flags.until) throw new Error('--until needs --since');
      if (!provider) throw new Error('replay needs an event key, --provider or --since');
      return { cmd: 'replay-dead', provider };
    case 'reconcile':
      if (rest.length > 0) throw new Error('reconcile takes no arguments');
      return { cmd: 'reconcile' };
    default:
      throw new Error(cmd ? `unknown command ${cmd}` : 'no command');
  }
}
