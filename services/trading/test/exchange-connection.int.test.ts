import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { createProTrader, stackTradingClient, startBillingHarness, TEST_SECRETS, until, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { connect, type NatsConnection } from 'nats';

// GetExchangeStatus and TestExchangeConnection on the real service, against the fake OKX:
// the key status a user sees, and the balance read that checks the keys.

jest.setTimeout(120_000);

describe('exchange status and connection test', () => {
  let h: BillingHarness;
  let nc: NatsConnection;
  let trading: ReturnType<typeof stackTradingClient>;

  beforeAll(async () => {
    h = await startBillingHarness();
    nc = await connect({ servers: h.stack.natsUrl });
    trading = stackTradingClient(h.stack, { timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await nc?.close();
    await h?.stop();
  });

  const saveKeys = (userId: string, apiKey = TEST_SECRETS.okx.apiKey) =>
    trading.setExchangeCredentials({ userId, exchange: 'okx', mode: 'okx-demo', apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase });

  async function keysRejectedEvents(userId: string): Promise<number> {
    const consumer = await nc.jetstream().consumers.get('TRADING', { filterSubjects: 'trading.exchange.keys_rejected' });
    let n = 0;
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1500 });
    for await (const m of batch) {
      if (m.json<{ user_id: string }>().user_id === userId) n++;
      if (m.info.pending === 0) break;
    }
    return n;
  }

  it('paper: no keys to check, and the test reads the paper book', async () => {
    const { id } = await createProTrader(h.stack, 'paperconn');
    expect(await trading.getExchangeStatus({ userId: id })).toMatchObject({ exchange: 'okx', mode: 'paper', apiKeyHint: '', keyStatus: 'not_set', checkedAt: undefined });
    const r = await trading.testExchangeConnection({ userId: id });
    expect(r.ok).toBe(true);
    expect(r.balances.map((b) => [b.currency, b.total, b.free])).toEqual([['USDT', expect.any(Number), expect.any(Number)]]);
    expect(r.balances[0]!.total).toBeGreaterThan(0);
  });

  it('good keys: unchecked until tested, then ok with the OKX balances', async () => {
    const { id } = await createProTrader(h.stack, 'goodkeys');
    h.okx.setBalance('USDT', 12_345);
    await saveKeys(id);
    const before = await trading.getExchangeStatus({ userId: id });
    expect(before).toMatchObject({ mode: 'okx-demo', apiKeyHint: TEST_SECRETS.okx.apiKey.slice(-4), keyStatus: 'unchecked' });
    const started = Date.now();
    const r = await trading.testExchangeConnection({ userId: id });
    expect(r).toMatchObject({ ok: true, code: '', message: '' });
    expect(r.balances.find((b) => b.currency === 'USDT')).toMatchObject({ total: 12_345, free: 12_345 });
    const after = await trading.getExchangeStatus({ userId: id });
    expect(after.keyStatus).toBe('ok');
    expect(timestampDate(after.checkedAt!).getTime()).toBeGreaterThanOrEqual(started - 1000);
  });

  it('refused keys: keys_rejected with OKX code, status rejected, announced once; new keys start unchecked', async () => {
    const { id } = await createProTrader(h.stack, 'refusedkeys');
    await saveKeys(id, 'okx-key-nobody-made');
    const r = await trading.testExchangeConnection({ userId: id });
    expect(r).toMatchObject({ ok: false, code: 'keys_rejected', message: '50111: Invalid OK-ACCESS-KEY', balances: [] });
    const again = await trading.testExchangeConnection({ userId: id });
    expect(again.code).toBe('keys_rejected');
    expect(await trading.getExchangeStatus({ userId: id })).toMatchObject({ keyStatus: 'rejected', rejectedCode: '50111' });
    await until('the keys_rejected event', async () => (await keysRejectedEvents(id)) >= 1, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await keysRejectedEvents(id)).toBe(1);
    for (const s of [TEST_SECRETS.okx.secret, TEST_SECRETS.okx.passphrase, 'okx-key-nobody-made']) expect(JSON.stringify(r)).not.toContain(s);

    await saveKeys(id);
    expect((await trading.getExchangeStatus({ userId: id })).keyStatus).toBe('unchecked');
    expect((await trading.testExchangeConnection({ userId: id })).ok).toBe(true);
    expect((await trading.getExchangeStatus({ userId: id })).keyStatus).toBe('ok');
  });

  it('refuses a user id that is not one', async () => {
    await expect(trading.getExchangeStatus({ userId: 'nope' })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(trading.testExchangeConnection({ userId: 'nope' })).rejects.toBeInstanceOf(ConnectError);
  });
});
