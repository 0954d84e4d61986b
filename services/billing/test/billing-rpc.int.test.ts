import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { signServiceToken } from '@tbot/common';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// A plain @grpc/grpc-js client built from our .proto files, as any internal client in any
// language would be: proves billing speaks real gRPC, not just Connect. It signs its calls
// as the gateway does, with a service token in the `authorization` metadata.

const PROTO_DIR = path.resolve(__dirname, '..', '..', '..', 'proto');

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type Rpc = (req: object, metadata: grpc.Metadata, cb: Callback<any>) => void;

function load(file: string) {
  const def = protoLoader.loadSync(file, {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  return grpc.loadPackageDefinition(def) as any;
}

let metadata = new grpc.Metadata();

function call<T = any>(client: grpc.Client, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Rpc>)[method]!.bind(client);
    fn(req, metadata, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe('BillingService over plain gRPC (grpc-js + proto-loader)', () => {
  let h: BillingHarness;
  let billing: grpc.Client;
  let health: grpc.Client;

  beforeAll(async () => {
    h = await startBillingHarness();
    metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${signServiceToken({ secret: h.stack.serviceTokenSecret, issuer: 'gateway', audience: 'billing' })}`);
    const target = h.stack.billingUrl.replace('http://', '');
    const billingPkg = load('billing/v1/billing.proto');
    const healthPkg = load('grpc/health/v1/health.proto');
    billing = new billingPkg.billing.v1.BillingService(target, grpc.credentials.createInsecure());
    health = new healthPkg.grpc.health.v1.Health(target, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    billing?.close();
    health?.close();
    await h?.stop();
  });

  it('serves grpc.health.v1 for the whole server and for BillingService', async () => {
    await expect(call(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    await expect(call(health, 'Check', { service: 'billing.v1.BillingService' })).resolves.toEqual({ status: 'SERVING' });
    await expect(call(health, 'Check', { service: 'mongodb' })).resolves.toEqual({ status: 'SERVING' });
    await expect(call(health, 'Check', { service: 'liveness' })).resolves.toEqual({ status: 'SERVING' });
    await expect(call(health, 'Check', { service: 'no.such.Service' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('creates a user on the free plan and reads it back', async () => {
    const created = await call(billing, 'CreateUser', { email: ' Alice@Example.com ' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.email).toBe('alice@example.com');
    expect(created.subscription).toMatchObject({ plan: 'free', status: 'none', features: [], cancel_at_period_end: false });
    const read = await call(billing, 'GetUser', { user_id: created.id });
    expect(read).toMatchObject({ id: created.id, email: 'alice@example.com' });
    await expect(call(billing, 'CreateUser', { email: 'alice@example.com' })).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
    });
  });

  it('answers INVALID_ARGUMENT for bad input and NOT_FOUND for unknown ids', async () => {
    await expect(call(billing, 'CreateUser', { email: 'not-an-email' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('email'),
    });
    await expect(call(billing, 'GetUser', { user_id: 'x' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(billing, 'GetUser', { user_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call(billing, 'ListPayments', { user_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call(billing, 'ApplyStripeEvent', { payload: Buffer.from('{"nope":1}') })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call(billing, 'ApplyPaystackEvent', { payload: Buffer.from('not json') })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    await expect(call(billing, 'VerifyPaystackPayment', { reference: '../../etc' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('creates a Stripe Checkout Session in subscription mode carrying the user id (against stripe-mock)', async () => {
    const user = await call(billing, 'CreateUser', { email: 'checkout@example.com' });
    const res = await call(billing, 'CreateStripeCheckoutSession', {
      user_id: user.id,
      plan: 'pro',
      success_url: 'https://app.example.com/ok',
      cancel_url: 'https://app.example.com/cancel',
    });
    expect(res.session_id).toMatch(/^cs_/);
    expect(res.url).toMatch(/^https:\/\//);
    await expect(
      call(billing, 'CreateStripeCheckoutSession', { user_id: user.id, plan: 'platinum', success_url: 'https://a.b/', cancel_url: 'https://a.b/' }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(
      call(billing, 'CreateStripeCheckoutSession', { user_id: user.id, plan: 'pro', success_url: 'javascript:alert(1)', cancel_url: 'https://a.b/' }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('initializes a Paystack payment with the plan price, plan code and metadata.user_id', async () => {
    const user = await call(billing, 'CreateUser', { email: 'paystack@example.com' });
    const res = await call(billing, 'InitializePaystackPayment', {
      user_id: user.id,
      plan: 'pro',
      callback_url: 'https://api.example.com/api/payments/paystack/callback',
    });
    expect(res.authorization_url).toMatch(/^https:\/\/checkout\.paystack\.com\//);
    const sent = h.paystack.requests.find((r) => r.path === '/transaction/initialize');
    expect(sent?.authorization).toBe(`Bearer ${h.paystack.secretKey}`);
    expect(sent?.body).toMatchObject({
      email: 'paystack@example.com',
      amount: 1500000,
      currency: 'NGN',
      plan: 'PLN_pro_monthly',
      reference: res.reference,
      callback_url: 'https://api.example.com/api/payments/paystack/callback',
      metadata: { user_id: user.id, plan: 'pro' },
    });
  });

  it('applies events and verifies payments over gRPC with an outcome and the user id', async () => {
    const user = await call(billing, 'CreateUser', { email: 'events@example.com' });
    const event = {
      id: 'evt_grpc_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'pi_grpc_1', object: 'payment_intent', amount: 500, amount_received: 500, currency: 'usd', metadata: { user_id: user.id } } },
    };
    const payload = Buffer.from(JSON.stringify(event));
    await expect(call(billing, 'ApplyStripeEvent', { payload })).resolves.toMatchObject({ outcome: 'OUTCOME_APPLIED', user_id: user.id });
    await expect(call(billing, 'ApplyStripeEvent', { payload })).resolves.toMatchObject({ outcome: 'OUTCOME_DUPLICATE', user_id: user.id });
    const payments = await call(billing, 'ListPayments', { user_id: user.id });
    expect(payments.payments).toHaveLength(1);
    expect(payments.payments[0]).toMatchObject({ provider: 'stripe', provider_payment_id: 'pi_grpc_1', amount: '500', kind: 'one_time' });

    const paystackEvent = Buffer.from(JSON.stringify({ event: 'transfer.success', data: { id: 42, reference: 'trf_1' } }));
    await expect(call(billing, 'ApplyPaystackEvent', { payload: paystackEvent })).resolves.toMatchObject({ outcome: 'OUTCOME_IGNORED' });

    const verify = await call(billing, 'VerifyPaystackPayment', { reference: 'unknown_ref' });
    expect(verify).toMatchObject({ paid: false, payment_status: 'not_found' });
  });

  it('serves the webhook operations: ledger state, dead letters, unmatched events, replay, re-delivery, reconciliation', async () => {
    const user = await call(billing, 'CreateUser', { email: 'ops@example.com' });
    const event = {
      id: 'evt_grpc_ops',
      object: 'event',
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'sub_grpc_ops', object: 'subscription', customer: 'cus_grpc_ops', status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' }, current_period_start: 1, current_period_end: 2 }] } } },
    };
    await call(billing, 'ApplyStripeEvent', { payload: Buffer.from(JSON.stringify(event)) });
    await expect(call(billing, 'GetWebhookEvent', { event_key: 'stripe:evt_grpc_ops' })).resolves.toMatchObject({
      event_key: 'stripe:evt_grpc_ops',
      provider: 'stripe',
      type: 'customer.subscription.created',
      state: 'done',
      outcome: 'OUTCOME_APPLIED',
      user_id: user.id,
    });
    await expect(call(billing, 'GetWebhookEvent', { event_key: 'stripe:evt_never' })).resolves.toMatchObject({ state: 'unknown' });
    await expect(call(billing, 'GetWebhookEvent', { event_key: 'nonsense' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(billing, 'ListDeadLetters', { provider: 'stripe' })).resolves.toEqual({ events: [] });
    await expect(call(billing, 'ListUnmatchedEvents', {})).resolves.toMatchObject({ events: expect.any(Array) });
    await expect(call(billing, 'ListDeadLetters', { provider: 'adyen' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(billing, 'ReplayWebhookEvent', { event_key: 'stripe:evt_grpc_ops' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(call(billing, 'ReplayDeadLetters', { provider: 'paystack' })).resolves.toEqual({ count: 0 });
    await expect(call(billing, 'RedeliverWebhooks', { provider: 'stripe' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(
      call(billing, 'RedeliverWebhooks', { provider: 'stripe', since: { seconds: String(Math.floor(Date.now() / 1000) - 60), nanos: 0 } }),
    ).resolves.toMatchObject({ count: expect.any(Number) });
    await expect(call(billing, 'ReconcileWebhooks', {})).resolves.toMatchObject({ stripe: expect.any(Number), paystack: 0 });
  });

  it('answers health without a token and refuses billing calls without one (UNAUTHENTICATED)', async () => {
    const none = new grpc.Metadata();
    const bare = <T>(client: grpc.Client, method: string, req: object) =>
      new Promise<T>((resolve, reject) => {
        const fn = (client as unknown as Record<string, Rpc>)[method]!.bind(client);
        fn(req, none, (err, res) => (err ? reject(err) : resolve(res)));
      });
    await expect(bare(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    await expect(bare(billing, 'GetUser', { user_id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });
});
