import ccxt from 'ccxt';
import { Registry } from 'prom-client';
import type { OrderExecutor, OrderOutcome, OrderRequest } from '../src/exchange/executor';
import { MeteredExecutor } from '../src/exchange/metered-executor';
import { codeLabel, createTradingMetrics } from '../src/metrics';

const req = { symbol: 'BTC/USDT:USDT', clientOrderId: 'c1' } as OrderRequest;

function fakeExecutor(place: () => Promise<OrderOutcome>, balance: () => Promise<number> = async () => 1): OrderExecutor {
  return {
    mode: 'okx-demo',
    onExchange: true,
    placeOrder: place,
    checkOrder: async () => ({ status: 'filled' }),
    balance,
    balances: async () => [],
    positions: async () => [],
    bookRealizedPnl: async () => undefined,
  };
}

async function setup(inner: OrderExecutor) {
  const registry = new Registry();
  const metrics = createTradingMetrics(registry);
  const values = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
  return { executor: new MeteredExecutor(inner, metrics), metrics, values };
}

describe('MeteredExecutor', () => {
  it('times every order by mode and outcome', async () => {
    const { executor, values } = await setup(fakeExecutor(async () => ({ status: 'filled' })));
    await executor.placeOrder(req);
    const count = (await values('okx_order_seconds')).find((v) => (v as { metricName?: string }).metricName === 'okx_order_seconds_count');
    expect(count).toMatchObject({ labels: { mode: 'okx-demo', outcome: 'filled' }, value: 1 });
    expect(await values('okx_errors_total')).toEqual([]);
  });

  it("counts OKX's refusal by its code, and a network failure as exchange_unavailable", async () => {
    const { executor, values } = await setup(
      fakeExecutor(
        async () => ({ status: 'rejected', errorCode: 'exchange_rejected', exchangeCode: '51008' }),
        async () => {
          throw new ccxt.NetworkError('timeout');
        },
      ),
    );
    await executor.placeOrder(req);
    await expect(executor.balance('USDT')).rejects.toThrow('timeout');
    const errors = (await values('okx_errors_total')).map((v) => ({ ...v.labels, n: v.value }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { operation: 'order', code: '51008', n: 1 },
        { operation: 'balance', code: 'exchange_unavailable', n: 1 },
      ]),
    );
  });

  it('still times an order that threw, and lets the error through', async () => {
    const { executor, values } = await setup(
      fakeExecutor(async () => {
        throw new ccxt.ExchangeError('okx {"code":"50011","msg":"Too Many Requests"}');
      }),
    );
    await expect(executor.placeOrder(req)).rejects.toThrow('50011');
    expect((await values('okx_order_seconds')).find((v) => (v as { metricName?: string }).metricName === 'okx_order_seconds_count')).toMatchObject({ labels: { outcome: 'error' }, value: 1 });
    expect((await values('okx_errors_total')).map((v) => v.labels)).toEqual([{ operation: 'order', code: '50011' }]);
  });
});

describe('trading metrics labels', () => {
  it('fold anything that is not a known shape of code', () => {
    expect(codeLabel('stale_signal', /^[a-z_]+$/)).toBe('stale_signal');
    expect(codeLabel('<script>', /^[a-z_]+$/)).toBe('other');
    expect(codeLabel(undefined, /^[a-z_]+$/)).toBe('none');
  });

  it('count signals by outcome, with the reject code only for refusals', async () => {
    const registry = new Registry();
    const metrics = createTradingMetrics(registry);
    metrics.signal({ status: 'executed', signalId: 's1' });
    metrics.signal({ status: 'rejected', signalId: 's2', rejectCode: 'stale_signal' });
    metrics.signal({ status: 'rejected', signalId: 's3', rejectCode: 'User Said Something' });
    metrics.signal(undefined);
    const counts = (await registry.getSingleMetric('trading_signals_total')!.get()).values.map((v) => ({ ...v.labels, n: v.value }));
    expect(counts).toEqual(
      expect.arrayContaining([
        { outcome: 'executed', reject_code: 'none', n: 1 },
        { outcome: 'rejected', reject_code: 'stale_signal', n: 1 },
        { outcome: 'rejected', reject_code: 'other', n: 1 },
        { outcome: 'failed', reject_code: 'none', n: 1 },
      ]),
    );
  });
});
