import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '@tbot/local-stack';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { billingClient, outcomeOf, postPaystack, postStripe, type Answer } from './support/clients';

// Real Stripe and Paystack webhook bodies written by others (provenance: SOURCES.md in the
// corpus). They are other people's data: read from the shared corpus at run time, never
// copied into this repository. Each body is sent byte for byte as the file holds it.

// Other people's data: read from where the workplace keeps it, never copied here. Beside
// the checkout (../shared/corpus), or the workplace's own copy for a clone made elsewhere.
const CORPUS_DIR = process.env.WEBHOOK_CORPUS_DIR
  ? path.resolve(process.env.WEBHOOK_CORPUS_DIR)
  : ([path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus'), '/work/shared/corpus'].find((d) => fs.existsSync(d)) ??
    path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus'));

const FINE = ['applied', 'ignored', 'unmatched', 'stale', 'duplicate'];

type Provider = 'stripe' | 'paystack';
interface CorpusFile {
  provider: Provider;
  name: string; // e.g. "stripe/invoice.paid.sync-engine.json"
  raw: string;
}

function jsonFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name)
    .sort();
}

/** Built synchronously at load, so that each corpus file is a test case of its own. */
function loadCorpus(): { files: CorpusFile[]; skipped: string[]; problem?: string } {
  const stripeDir = path.join(CORPUS_DIR, 'stripe');
  const paystackDir = path.join(CORPUS_DIR, 'paystack');
  for (const dir of [stripeDir, paystackDir]) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      return {
        files: [],
        skipped: [],
        problem:
          `webhook corpus not found: ${dir} does not exist. The corpus lives in ../shared/corpus next to the repository ` +
          '(CI always has it); set WEBHOOK_CORPUS_DIR to point elsewhere.',
      };
    }
  }
  const files: CorpusFile[] = [];
  const skipped: string[] = [];
  // Every file in stripe/ is one event (stripe/objects/ holds non-event objects: not read).
  for (const f of jsonFiles(stripeDir)) {
    files.push({ provider: 'stripe', name: `stripe/${f}`, raw: fs.readFileSync(path.join(stripeDir, f), 'utf8') });
  }
  // paystack/ also holds API answers (GET /transaction/verify, list records): only events are webhooks.
  for (const f of jsonFiles(paystackDir)) {
    const raw = fs.readFileSync(path.join(paystackDir, f), 'utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined; // not JSON: sent anyway, so the case fails and names the file
    }
    const isEvent = body === undefined || (typeof body === 'object' && body !== null && 'event' in body && 'data' in body);
    if (isEvent) files.push({ provider: 'paystack', name: `paystack/${f}`, raw });
    else skipped.push(`paystack/${f}`);
  }
  return { files, skipped };
}

const corpus = loadCorpus();

interface Result {
  answer?: Answer;
  postError?: string;
  outcome?: string;
  outcomeError?: string;
  ledger?: unknown;
}

describe('real webhook bodies from the shared corpus', () => {
  if (corpus.problem) {
    it('finds the webhook corpus', () => {
      throw new Error(corpus.problem);
    });
    return;
  }

  let h: BillingHarness | undefined;
  const results = new Map<string, Result>();

  beforeAll(async () => {
    // A NATS of its own: the corpus has fixed event ids, which a shared JetStream would
    // de-duplicate against an earlier run (2-minute window) or hand to another stack's billing.
    h = await startBillingHarness({ env: { NATS_URL: `nats://127.0.0.1:${await freePort()}` } });
    const gw = h.stack.gatewayUrl;
    const billing = billingClient(h.stack);
    // All posted first, one after another (sorted, so which of two files sharing an event id
    // is the duplicate does not vary)...
    for (const f of corpus.files) {
      const r: Result = {};
      results.set(f.name, r);
      try {
        r.answer = f.provider === 'stripe' ? await postStripe(gw, undefined, { raw: f.raw }) : await postPaystack(gw, undefined, { raw: f.raw });
      } catch (err) {
        r.postError = String(err);
      }
    }
    // ...then followed in parallel: unknown users wait UNMATCHED_RETRY_MINUTES (3 s) before being parked.
    await Promise.all(
      [...results.values()].map(async (r) => {
        const key = r.answer?.status === 200 ? (r.answer.body?.event_id as unknown) : undefined;
        if (typeof key !== 'string') return;
        try {
          r.outcome = await outcomeOf(h!.stack, key, 20_000);
        } catch (err) {
          r.outcomeError = String(err);
        }
        if (r.outcome !== undefined && FINE.includes(r.outcome)) return;
        const e = await billing.getWebhookEvent({ eventKey: key }).catch((err: unknown) => String(err));
        r.ledger =
          typeof e === 'string'
            ? e
            : { state: e.state, type: e.type, detail: e.detail, attempts: e.attempts, last_error: e.lastError };
      }),
    );
    if (process.env.SHOW_CORPUS_RESULTS) {
      for (const name of corpus.skipped) process.stderr.write(`${name}\tskipped (not a webhook event)\n`);
      for (const [name, r] of results) {
        process.stderr.write(
          `${name}\t${r.answer?.status ?? r.postError}\t${JSON.stringify(r.answer?.body)}\t${r.outcome ?? r.outcomeError}\n`,
        );
      }
    }
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('has Stripe and Paystack events to send', () => {
    expect(corpus.files.filter((f) => f.provider === 'stripe').length).toBeGreaterThan(0);
    expect(corpus.files.filter((f) => f.provider === 'paystack').length).toBeGreaterThan(0);
  });

  it.each(corpus.files.map((f) => [f.name]))('%s is accepted by the gateway and settled by billing', (name) => {
    const r = results.get(name);
    expect(r).toBeDefined();
    const seen = { file: name, postError: r!.postError, status: r!.answer?.status, body: r!.answer?.body };
    // Accepted: never a 4xx/5xx.
    expect(seen).toEqual({
      file: name,
      postError: undefined,
      status: 200,
      body: { status: 'accepted', event_id: expect.any(String), duplicate: expect.any(Boolean) },
    });
    // Settled by billing without an error: never a dead letter.
    expect({ file: name, event_id: r!.answer!.body.event_id, outcome: r!.outcome ?? r!.outcomeError, ledger: r!.ledger }).toEqual({
      file: name,
      event_id: r!.answer!.body.event_id,
      outcome: expect.stringMatching(new RegExp(`^(${FINE.join('|')})$`)),
      ledger: undefined,
    });
  });
});
