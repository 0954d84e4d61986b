import { encodeTradingEvent } from '../src/events';

// Each body as the emit sites build it (order-placement eventBody, signal-processor
// rejected, position-reconciler): the published JSON is exactly the proto schema.

describe('trading events through their proto schema', () => {
  it('writes an order event with every field, snake_case, the OKX code included', () => {
    const json = JSON.parse(
      encodeTradingEvent('trading.order.rejected', {
        trade_id: 'trd_1',
        signal_id: 'sig_1',
        user_id: 'u1',
        strategy_id: undefined,
        symbol: 'BTC/USDT:USDT',
        side: 'buy',
        amount: 1,
        base_amount: 0.01,
        price: 37000,
        fee: 0,
        fee_currency: '',
        status: 'rejected',
        mode: 'okx-demo',
        client_order_id: 'c1',
        exchange_order_id: '',
        reduce_only: false,
        error: 'Insufficient margin',
        error_code: 'exchange_rejected',
        exchange_code: '51008',
      }),
    );
    expect(json).toEqual({
      trade_id: 'trd_1',
      signal_id: 'sig_1',
      user_id: 'u1',
      strategy_id: '',
      symbol: 'BTC/USDT:USDT',
      side: 'buy',
      amount: 1,
      base_amount: 0.01,
      price: 37000,
      fee: 0,
      fee_currency: '',
      status: 'rejected',
      mode: 'okx-demo',
      client_order_id: 'c1',
      exchange_order_id: '',
      reduce_only: false,
      error: 'Insufficient margin',
      error_code: 'exchange_rejected',
      exchange_code: '51008',
    });
  });

  it('writes a signal refusal with its rule and a mismatch with zero amounts and its time', () => {
    expect(JSON.parse(encodeTradingEvent('trading.signal.rejected', { signal_id: 's', user_id: 'u', reject_code: 'risk_rejected', rule: 'max_orders_per_minute', message: 'm' }))).toEqual({
      signal_id: 's',
      user_id: 'u',
      reject_code: 'risk_rejected',
      rule: 'max_orders_per_minute',
      message: 'm',
    });
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(JSON.parse(encodeTradingEvent('trading.position.mismatch', { user_id: 'u', mode: 'okx-demo', symbol: 'BTC/USDT:USDT', ours: 0.05, theirs: 0, detected_at: at.toISOString() }))).toEqual({
      user_id: 'u',
      mode: 'okx-demo',
      symbol: 'BTC/USDT:USDT',
      ours: 0.05,
      theirs: 0,
      detected_at: '2026-01-02T03:04:05Z',
    });
  });

  it('refuses a body that drifted from the schema', () => {
    expect(() => encodeTradingEvent('trading.signal.rejected', { signal_id: 's', surprise: 1 })).toThrow(/surprise/);
    expect(() => encodeTradingEvent('trading.order.filled', { amount: 'lots' })).toThrow();
  });
});
