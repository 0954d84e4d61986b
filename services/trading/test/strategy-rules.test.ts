import type { PartialAlert } from '../src/alert';
import { readAlertCommands, requireComplete } from '../src/alert-dialects';
import { DEFAULT_PROFILE, type StoredProfile } from '../src/risk-profiles';
import { applyStrategyDefaults, effectiveProfile, type StrategyRules } from '../src/strategy-rules';

const partial = (body: Record<string, unknown>): PartialAlert => {
  const r = readAlertCommands(JSON.stringify(body));
  if (!r.ok) throw new Error(r.message);
  return r.commands[0]!.partial;
};
const strategy = (defaults: StrategyRules['defaults'], riskOverrides: StrategyRules['riskOverrides'] = {}): StrategyRules => ({ defaults, riskOverrides });
const accepted = { alertQuantityAccepted: true };
const refused = { alertQuantityAccepted: false };

/** parse → defaults → complete, as the signal pipeline does. */
function pipeline(body: Record<string, unknown>, s: StrategyRules | null, opts = accepted) {
  const d = applyStrategyDefaults(partial(body), s, opts);
  return { ...d, completed: requireComplete(d.alert) };
}

describe('applyStrategyDefaults', () => {
  it('leaves the alert as it is without a strategy (the per-user URL)', () => {
    const p = partial({ symbol: 'BTCUSDT', action: 'buy', quantity: 2 });
    expect(applyStrategyDefaults(p, null, refused)).toEqual({ alert: p, filled: [], quantityFromStrategy: false });
  });

  it('fills a missing symbol, so "symbol is required" holds after defaults', () => {
    const r = pipeline({ action: 'buy' }, strategy({ symbol: 'ETHUSDT' }));
    expect(r.filled).toEqual(['symbol']);
    expect(r.completed).toEqual({ ok: true, alert: { symbol: 'ETHUSDT', action: 'buy', orderType: 'market' } });
  });

  it('still refuses an alert without a symbol when the strategy names none', () => {
    expect(pipeline({ action: 'buy' }, strategy({})).completed).toMatchObject({ ok: false, code: 'malformed_alert', field: 'symbol' });
    expect(pipeline({ action: 'buy' }, null).completed).toMatchObject({ ok: false, field: 'symbol' });
  });

  it("never replaces what the message says", () => {
    const r = pipeline(
      { symbol: 'BTCUSDT', action: 'sell', quantity: 3, size_type: 'quote', order_type: 'market' },
      strategy({ symbol: 'ETHUSDT', action: 'buy', quantity: 1, sizeType: 'base', orderType: 'limit' }),
    );
    expect(r.filled).toEqual([]);
    expect(r.quantityFromStrategy).toBe(false);
    expect(r.completed).toEqual({ ok: true, alert: { symbol: 'BTCUSDT', action: 'sell', quantity: 3, sizeType: 'quote', orderType: 'market' } });
  });

  it('fills the action, with the side of a close', () => {
    expect(pipeline({ symbol: 'BTCUSDT' }, strategy({ action: 'buy' })).completed).toMatchObject({ ok: true, alert: { action: 'buy' } });
    const close = pipeline({ symbol: 'BTCUSDT' }, strategy({ action: 'close', closeSide: 'short' }));
    expect(close.completed).toMatchObject({ ok: true, alert: { action: 'close', closeSide: 'short' } });
    expect(pipeline({ symbol: 'BTCUSDT' }, strategy({ action: 'close' })).completed).toMatchObject({ ok: true, alert: { closeSide: 'both' } });
    expect(pipeline({ symbol: 'BTCUSDT' }, strategy({})).completed).toMatchObject({ ok: false, field: 'action' });
  });

  describe('side rules', () => {
    it('long_only: a sell closes the long instead of opening a short; a buy stays a buy', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'sell' }, strategy({ direction: 'long_only' }));
      expect(r.completed).toMatchObject({ ok: true, alert: { action: 'close', closeSide: 'long' } });
      expect(r.filled).toEqual(['direction']);
      expect(pipeline({ symbol: 'BTCUSDT', action: 'buy' }, strategy({ direction: 'long_only' })).completed).toMatchObject({ alert: { action: 'buy' } });
    });

    it('short_only: a buy closes the short', () => {
      expect(pipeline({ symbol: 'BTCUSDT', action: 'long' }, strategy({ direction: 'short_only' })).completed).toMatchObject({
        ok: true,
        alert: { action: 'close', closeSide: 'short' },
      });
      expect(pipeline({ symbol: 'BTCUSDT', action: 'sell' }, strategy({ direction: 'short_only' })).completed).toMatchObject({ alert: { action: 'sell' } });
    });

    it('leaves closes alone', () => {
      expect(pipeline({ symbol: 'BTCUSDT', action: 'close_short' }, strategy({ direction: 'long_only' })).completed).toMatchObject({
        alert: { action: 'close', closeSide: 'short' },
      });
    });
  });

  describe('size', () => {
    it('fills the quantity (base unless told) and marks it as the strategy’s own', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'buy' }, strategy({ quantity: 0.01 }), refused);
      expect(r.quantityFromStrategy).toBe(true);
      expect(r.completed).toMatchObject({ ok: true, alert: { quantity: 0.01, sizeType: 'base' } });
      const q = pipeline({ symbol: 'BTCUSDT', action: 'buy' }, strategy({ quantity: 25, sizeType: 'quote' }), refused);
      expect(q.completed).toMatchObject({ alert: { quantity: 25, sizeType: 'quote' } });
    });

    it('a quantity the profile does not accept counts as left out: the strategy’s applies', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'buy', quantity: 500, size_type: 'quote' }, strategy({ quantity: 0.01 }), refused);
      expect(r.quantityFromStrategy).toBe(true);
      expect(r.completed).toMatchObject({ alert: { quantity: 0.01, sizeType: 'base' } });
    });

    it('a quantity the profile accepts is the message’s; a missing size type comes from the strategy', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'buy', quantity: 5 }, strategy({ quantity: 1, sizeType: 'percent_equity' }));
      expect(r.quantityFromStrategy).toBe(false);
      expect(r.filled).toEqual(['size_type']);
      expect(r.completed).toMatchObject({ alert: { quantity: 5, sizeType: 'percent_equity' } });
    });

    it('without a strategy quantity, a refused alert quantity is dropped (the profile sizes)', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'buy', quantity: 5 }, strategy({}), refused);
      expect(r.quantityFromStrategy).toBe(false);
      expect(r.completed.ok && r.completed.alert.quantity).toBeUndefined();
    });
  });

  describe('order type', () => {
    it('a limit default takes the message’s limit_price, or its price', () => {
      expect(pipeline({ symbol: 'BTCUSDT', action: 'buy', limit_price: 99, price: 100 }, strategy({ orderType: 'limit' })).completed).toMatchObject({
        ok: true,
        alert: { orderType: 'limit', limitPrice: 99, price: 100 },
      });
      expect(pipeline({ symbol: 'BTCUSDT', action: 'buy', price: 100 }, strategy({ orderType: 'limit' })).completed).toMatchObject({
        alert: { orderType: 'limit', limitPrice: 100 },
      });
    });

    it('a limit default without any price is refused, naming limit_price', () => {
      expect(pipeline({ symbol: 'BTCUSDT', action: 'buy' }, strategy({ orderType: 'limit' })).completed).toMatchObject({ ok: false, field: 'limit_price' });
    });

    it('a market order drops a limit price', () => {
      const r = pipeline({ symbol: 'BTCUSDT', action: 'buy', limit_price: 99 }, strategy({ orderType: 'market' }));
      expect(r.completed.ok && r.completed.alert).toEqual({ symbol: 'BTCUSDT', action: 'buy', orderType: 'market' });
    });

    it('checks the stop against the action the strategy supplied', () => {
      expect(pipeline({ symbol: 'BTCUSDT', price: 100, stop_loss: 110 }, strategy({ action: 'buy' })).completed).toMatchObject({ ok: false, field: 'stop_loss' });
      expect(pipeline({ symbol: 'BTCUSDT', price: 100, take_profit: 90 }, strategy({ action: 'buy' })).completed).toMatchObject({ ok: false, field: 'take_profit' });
      expect(pipeline({ symbol: 'BTCUSDT', price: 100, stop_loss: 110 }, strategy({ action: 'sell' })).completed).toMatchObject({ ok: true });
    });
  });

  it('does not change the alert it was given', () => {
    const p = partial({ action: 'sell', quantity: 4 });
    const copy = structuredClone(p);
    applyStrategyDefaults(p, strategy({ symbol: 'BTCUSDT', direction: 'long_only', quantity: 1 }), refused);
    expect(p).toEqual(copy);
  });
});

describe('effectiveProfile', () => {
  const profile: StoredProfile = { ...DEFAULT_PROFILE, allowedSymbols: ['BTC/USDT'], maxOrderNotional: 1000, sizingMode: 'fixed_quote', sizingValue: 100 };

  it('is the profile itself without overrides', () => {
    expect(effectiveProfile(profile, null)).toBe(profile);
    expect(effectiveProfile(profile, {})).toEqual(profile);
  });

  it('replaces what the overrides set, stricter or looser, and keeps the rest', () => {
    const e = effectiveProfile(profile, { maxOrderNotional: 50, maxOpenPositions: 9, sizingMode: 'fixed_base', sizingValue: 0.01, allowAlertQuantity: true });
    expect(e).toEqual({ ...profile, maxOrderNotional: 50, maxOpenPositions: 9, sizingMode: 'fixed_base', sizingValue: 0.01, allowAlertQuantity: true });
  });

  it('an empty allowed-symbols override keeps the profile’s list; a list replaces it', () => {
    expect(effectiveProfile(profile, { allowedSymbols: [] }).allowedSymbols).toEqual(['BTC/USDT']);
    expect(effectiveProfile(profile, { allowedSymbols: ['ETH/USDT'] }).allowedSymbols).toEqual(['ETH/USDT']);
  });

  it('can switch a strategy off, never on past the profile’s kill switch', () => {
    expect(effectiveProfile(profile, { tradingEnabled: false }).tradingEnabled).toBe(false);
    expect(effectiveProfile({ ...profile, tradingEnabled: false }, { tradingEnabled: true }).tradingEnabled).toBe(false);
    expect(effectiveProfile(profile, { tradingEnabled: true }).tradingEnabled).toBe(true);
  });

  it('does not change the profile it was given', () => {
    const copy = structuredClone(profile);
    effectiveProfile(profile, { maxOrderNotional: 1, tradingEnabled: false });
    expect(profile).toEqual(copy);
  });
});
