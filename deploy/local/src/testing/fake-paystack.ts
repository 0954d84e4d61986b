import { listen, readBody, sendJson, type TestServer } from './http-server';

export interface FakeTransaction {
  reference: string;
  id: number;
  status: 'success' | 'failed' | 'abandoned' | 'pending' | 'reversed';
  amount: number;
  currency: string;
  email: string;
  plan?: string;
  metadata: unknown;
  paid_at: string | null;
  customer_code: string;
}

export interface FakeSubscription {
  subscription_code: string;
  /** What /subscription/disable needs besides the code (Paystack mails it to the customer too). */
  email_token: string;
  status: 'active' | 'non-renewing' | 'attention' | 'completed' | 'cancelled';
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

/**
 * Paystack's REST API as far as billing uses it, with its real paths, Bearer auth and
 * response envelopes ({status, message, data}). Tests change transactions to play out
 * payments that succeed, fail or never happen.
 */
export class FakePaystack {
  readonly transactions = new Map<string, FakeTransaction>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  readonly requests: RecordedRequest[] = [];
  private server?: TestServer;
  private nextId = 1_000_000;

  constructor(readonly secretKey: string) {}

  get url(): string {
    if (!this.server) throw new Error('FakePaystack not started');
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await listen(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString()) : undefined;
      } catch {
        return sendJson(res, 400, { status: false, message: 'Invalid JSON' });
      }
      this.requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, body });
      if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
        return sendJson(res, 401, { status: false, message: 'Invalid key' });
      }
      if (req.method === 'POST' && url.pathname === '/transaction/initialize') return this.initialize(body, res);
      const verify = /^\/transaction\/verify\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && verify) return this.verify(decodeURIComponent(verify[1]!), res);
      const subscription = /^\/subscription\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/subscription/disable') return this.disable(body, res);
      if (req.method === 'GET' && subscription) return this.fetchSubscription(decodeURIComponent(subscription[1]!), res);
      return sendJson(res, 404, { status: false, message: 'Not found' });
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  /** A subscription Paystack knows (as after a customer paid for a plan), active. */
  addSubscription(code: string, emailToken = `tok_${code.toLowerCase()}`): FakeSubscription {
    const sub: FakeSubscription = { subscription_code: code, email_token: emailToken, status: 'active' };
    this.subscriptions.set(code, sub);
    return sub;
  }

  /** Marks a transaction paid, as if the customer completed checkout. */
  pay(reference: string, changes: Partial<FakeTransaction> = {}): FakeTransaction {
    const tx = this.transactions.get(reference);
    if (!tx) throw new Error(`no transaction ${reference}`);
    Object.assign(tx, { status: 'success', paid_at: new Date().toISOString() }, changes);
    return tx;
  }

  /** The data object Paystack puts in a verify answer and in a charge.success event. */
  transactionData(tx: FakeTransaction): Record<string, unknown> {
    return {
      id: tx.id,
      domain: 'test',
      status: tx.status,
      reference: tx.reference,
      amount: tx.amount,
      message: null,
      gateway_response: tx.status === 'success' ? 'Successful' : 'Declined',
      paid_at: tx.paid_at,
      created_at: new Date().toISOString(),
      channel: 'card',
      currency: tx.currency,
      metadata: tx.metadata,
      fees: Math.round(tx.amount * 0.015),
      customer: {
        id: 84312,
        first_name: null,
        last_name: null,
        email: tx.email,
        customer_code: tx.customer_code,
        phone: null,
        metadata: null,
        risk_action: 'default',
      },
      plan: tx.plan ? { plan_code: tx.plan } : null,
      plan_object: tx.plan ? { plan_code: tx.plan } : {},
    };
  }

  private initialize(body: unknown, res: import('node:http').ServerResponse) {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.email !== 'string' || (typeof b.amount !== 'number' && typeof b.amount !== 'string')) {
      return sendJson(res, 400, { status: false, message: 'Invalid request: email and amount are required' });
    }
    const reference = typeof b.reference === 'string' ? b.reference : `ref_${this.nextId}`;
    if (this.transactions.has(reference)) {
      return sendJson(res, 400, { status: false, message: 'Duplicate Transaction Reference' });
    }
    this.transactions.set(reference, {
      reference,
      id: this.nextId++,
      status: 'abandoned',
      amount: Number(b.amount),
      currency: typeof b.currency === 'string' ? b.currency : 'NGN',
      email: b.email,
      plan: typeof b.plan === 'string' ? b.plan : undefined,
      metadata: b.metadata ?? '',
      paid_at: null,
      customer_code: `CUS_${Buffer.from(b.email).toString('hex').slice(0, 14)}`,
    });
    const accessCode = `ac_${reference}`;
    return sendJson(res, 200, {
      status: true,
      message: 'Authorization URL created',
      data: { authorization_url: `https://checkout.paystack.com/${accessCode}`, access_code: accessCode, reference },
    });
  }

  private fetchSubscription(code: string, res: import('node:http').ServerResponse) {
    const sub = this.subscriptions.get(code);
    if (!sub) return sendJson(res, 404, { status: false, message: 'Subscription not found' });
    return sendJson(res, 200, { status: true, message: 'Subscription retrieved', data: { ...sub, id: 1, amount: 1500000 } });
  }

  /** Paystack's answer to a disable: the code and the email token must belong together; a disabled one stays so. */
  private disable(body: unknown, res: import('node:http').ServerResponse) {
    const b = (body ?? {}) as Record<string, unknown>;
    const sub = typeof b.code === 'string' ? this.subscriptions.get(b.code) : undefined;
    if (!sub || b.token !== sub.email_token || sub.status !== 'active') {
      return sendJson(res, 400, { status: false, message: 'Subscription with code not found or already inactive' });
    }
    sub.status = 'non-renewing';
    return sendJson(res, 200, { status: true, message: 'Subscription disabled successfully' });
  }

  private verify(reference: string, res: import('node:http').ServerResponse) {
    const tx = this.transactions.get(reference);
    if (!tx) return sendJson(res, 400, { status: false, message: 'Transaction reference not found', type: 'validation_error', code: 'transaction_not_found' });
    return sendJson(res, 200, { status: true, message: 'Verification successful', data: this.transactionData(tx) });
  }
}
