import { catalogue, EVENT_TYPES, subscriptionKind } from '../src/catalogue';
import { defaultMode } from '../src/preferences';
import { renderDigest } from '../src/digest';

const body = (o: unknown) => JSON.stringify(o);
const order = (extra: Record<string, unknown>) => ({
  trade_id: 'trd_1', signal_id: 'sig_1', user_id: 'u1', strategy_id: '', symbol: 'BTC/USDT:USDT', side: 'buy', amount: 2, base_amount: 0.02,
  price: 37000, fee: 0, fee_currency: '', status: 'filled', mode: 'okx-demo', client_order_id: 'c', exchange_order_id: '', reduce_only: false,
  error: '', error_code: '', exchange_code: '', ...extra,
});

describe('event catalogue', () => {
  it('names a fill with its price, not a failure', () => {
    const r = catalogue('trading.order.filled', body(order({})));
    expect(r).toMatchObject({ ok: true, event: { type: 'order.filled', userId: 'u1', failure: false, reasonCode: 'filled', title: 'Filled: BUY 2 BTC/USDT:USDT @ 37000' } });
  });

  it('carries OKX’s reason on a rejected order', () => {
    const r = catalogue('trading.order.rejected', body(order({ status: 'rejected', error: 'Insufficient margin', error_code: 'exchange_rejected', exchange_code: '51008' })));
    expect(r).toMatchObject({ ok: true, event: { type: 'order.rejected', failure: true, reasonCode: 'exchange_rejected:51008' } });
    if (r.ok) expect(r.event.text).toContain('Insufficient margin (OKX 51008)');
    const failed = catalogue('trading.order.failed', body(order({ status: 'failed', error: 'OKX could not be reached', error_code: 'exchange_unavailable' })));
    expect(failed).toMatchObject({ ok: true, event: { type: 'order.failed', failure: true, reasonCode: 'exchange_unavailable' } });
  });

  it('names the rule that refused a signal', () => {
    const r = catalogue('trading.signal.rejected', body({ signal_id: 's', user_id: 'u', reject_code: 'risk_rejected', rule: 'max_daily_loss', message: 'daily loss limit reached' }));
    expect(r).toMatchObject({ ok: true, event: { type: 'signal.rejected', failure: true, reasonCode: 'risk_rejected:max_daily_loss' } });
    const stale = catalogue('trading.signal.rejected', body({ signal_id: 's', user_id: 'u', reject_code: 'stale_signal', message: 'old' }));
    expect(stale).toMatchObject({ ok: true, event: { reasonCode: 'stale_signal' } });
  });

  it('reads billing events, keeping the email they carry', () => {
    const paid = catalogue('billing.payment.failed', body({ event_id: 'e', user_id: 'u', email: 'a@example.com', plan: 'pro', status: 'failed', provider: 'stripe', amount: '2900', currency: 'usd' }));
    expect(paid).toMatchObject({ ok: true, event: { type: 'payment.failed', failure: true, email: 'a@example.com', title: 'Payment failed: 29.00 USD' } });
    const act = catalogue('billing.subscription.activated', body({ event_id: 'e', user_id: 'u', email: 'a@example.com', plan: 'pro', status: 'active', features: ['live_trading'] }));
    expect(act).toMatchObject({ ok: true, event: { type: 'subscription.activated', failure: false } });
    const mismatch = catalogue('trading.position.mismatch', body({ user_id: 'u', mode: 'okx-demo', symbol: 'BTC/USDT:USDT', ours: 0.05, theirs: 0, detected_at: '2026-01-01T00:00:00Z' }));
    expect(mismatch).toMatchObject({ ok: true, event: { type: 'position.mismatch', failure: true, occurredAt: new Date('2026-01-01T00:00:00Z') } });
  });

  it('tells renewals, past due and cancellations apart in billing.subscription.updated', () => {
    expect(subscriptionKind('past_due', 'pro', 'pro', 'invoice.payment_failed', undefined)).toMatchObject({ type: 'subscription.past_due', failure: true });
    expect(subscriptionKind('active', 'pro', 'pro', 'invoice.payment_succeeded', new Date('2026-02-01T00:00:00Z'))).toMatchObject({ type: 'subscription.renewed', text: expect.stringContaining('2026-02-01') });
    expect(subscriptionKind('canceled', 'free', 'pro', 'customer.subscription.deleted', undefined)).toMatchObject({ type: 'subscription.canceled' });
    expect(subscriptionKind('active', 'pro', 'basic', 'customer.subscription.updated', undefined)).toMatchObject({ type: 'subscription.updated' });
  });

  it('ignores unknown subjects and reports unreadable bodies', () => {
    expect(catalogue('trading.something.new', '{}')).toEqual({ ok: false, reason: 'unknown_subject', detail: 'trading.something.new' });
    expect(catalogue('trading.order.filled', 'not json')).toMatchObject({ ok: false, reason: 'invalid_body' });
    expect(catalogue('trading.order.filled', body(order({ amount: 'lots' })))).toMatchObject({ ok: false, reason: 'invalid_body' });
    expect(catalogue('trading.order.filled', body(order({ user_id: '' })))).toMatchObject({ ok: false, reason: 'no_user' });
    // A field added by a newer publisher is not a reason to drop the event.
    expect(catalogue('trading.order.filled', body(order({ brand_new: 1 })))).toMatchObject({ ok: true });
  });

  it('lists every type once and folds fills into one digest message', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    const d = renderDigest([{ eventId: 'a', line: 'Filled: BUY 1 X @ 1' }, { eventId: 'b', line: 'Filled: SELL 1 X @ 2' }], new Date('2026-01-01T10:07:00Z'));
    expect(d).toEqual({ title: '2 more fills at 10:07 UTC', text: '• Filled: BUY 1 X @ 1\n• Filled: SELL 1 X @ 2' });
  });
});

describe('day-long limits, refused keys and silence', () => {
  it('announces the daily loss limit with the limit, the loss and the day', () => {
    const r = catalogue('trading.risk.limit_reached', body({ user_id: 'u', rule: 'daily_loss_limit', limit: 100, value: 120.5, day: '2026-03-04', signal_id: 's', message: 'm' }));
    expect(r).toMatchObject({ ok: true, event: { type: 'risk.limit_reached', failure: true, reasonCode: 'risk_limit:daily_loss_limit', title: 'Daily loss limit reached' } });
    if (r.ok) expect(r.event.text).toContain('120.5');
    if (r.ok) expect(r.event.text).toContain('limit of 100');
    if (r.ok) expect(r.event.text).toContain('2026-03-04');
    const kill = catalogue('trading.risk.limit_reached', body({ user_id: 'u', rule: 'trading_disabled', limit: 0, value: 0, day: '2026-03-04', signal_id: 's', message: 'm' }));
    expect(kill).toMatchObject({ ok: true, event: { reasonCode: 'risk_limit:trading_disabled', title: 'Trading is switched off' } });
  });

  it('names OKX’s code when the keys are refused', () => {
    const r = catalogue('trading.exchange.keys_rejected', body({ user_id: 'u', mode: 'okx-demo', exchange_code: '50111', message: 'Invalid OK-ACCESS-KEY', operation: 'order', detected_at: '2026-01-01T00:00:00Z' }));
    expect(r).toMatchObject({ ok: true, event: { type: 'exchange.keys_rejected', failure: true, reasonCode: 'keys_rejected:50111', occurredAt: new Date('2026-01-01T00:00:00Z') } });
    if (r.ok) expect(r.event.text).toContain('Invalid OK-ACCESS-KEY (OKX 50111)');
  });

  it('sends the new failure types on every channel by default', () => {
    for (const type of ['risk.limit_reached', 'exchange.keys_rejected', 'tradingview.silent'] as const) {
      expect(EVENT_TYPES).toContain(type);
      for (const channel of ['telegram', 'email', 'webhook'] as const) expect(defaultMode(type, channel)).toBe('on');
    }
  });
});
