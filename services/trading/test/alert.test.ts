import type { Alert, AlertParseResult } from '../src/alert';
import { parseAlertMessage } from '../src/alert-dialects';

/** Our own JSON format as the webhook reads it (alert-dialects/ reads the others): one command. */
function parseAlert(raw: string): AlertParseResult {
  const r = parseAlertMessage(raw);
  if (!r.ok) return r;
  if (r.alerts.length !== 1) throw new Error(`expected one command, got ${r.alerts.length}`);
  return { ok: true, alert: r.alerts[0]! };
}

const SECRET = 'sEcReT-9f8e7d6c5b4a-DoNotLeak';

function ok(body: unknown): Alert {
  const r = parseAlert(typeof body === 'string' ? body : JSON.stringify(body));
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.alert;
}

function fail(body: unknown): Extract<AlertParseResult, { ok: false }> {
  const r = parseAlert(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.alert)}`);
  return r;
}

const base = { symbol: 'BTCUSDT', action: 'buy' };

describe('parseAlert', () => {
  describe('body', () => {
    it('parses a minimal JSON alert with defaults', () => {
      expect(ok(base)).toEqual({ symbol: 'BTCUSDT', action: 'buy', orderType: 'market' });
    });

    it('parses a full TradingView strategy alert', () => {
      const alert = ok({
        symbol: 'OKX:BTCUSDT.P',
        action: 'Sell',
        price: '37000.5',
        strategy: 'EMA cross',
        secret: SECRET,
        id: 'Short-1',
        timestamp: '2025-01-01T12:00:00Z',
        quantity: '0.5',
        size_type: 'base',
        order_type: 'limit',
        limit_price: 37010,
        stop_loss: '38000',
        take_profit: 35000,
        market_position: 'short',
        leverage: '3',
      });
      expect(alert).toEqual({
        symbol: 'OKX:BTCUSDT.P',
        action: 'sell',
        price: 37000.5,
        strategy: 'EMA cross',
        secret: SECRET,
        id: 'Short-1',
        timestamp: new Date('2025-01-01T12:00:00.000Z'),
        quantity: 0.5,
        sizeType: 'base',
        orderType: 'limit',
        limitPrice: 37010,
        stopLoss: 38000,
        takeProfit: 35000,
        marketPosition: 'short',
        leverage: 3,
      });
    });

    it('accepts a body with surrounding whitespace and a BOM (as sent as text/plain)', () => {
      expect(ok(`\uFEFF  \n${JSON.stringify(base)}\n `).action).toBe('buy');
    });

    it.each([
      ['empty', '', /empty/],
      ['blank', '   \n', /empty/],
      ['truncated JSON', '{"symbol":"BTCUSDT","action":"buy"', /not valid JSON/],
      ['a JSON string', '"buy"', /not valid JSON/],
      ['null', 'null', /plain-text command must start with/],
      ['a number', '42', /plain-text command must start with/],
      ['a boolean', 'true', /plain-text command must start with/],
    ])('refuses %s', (_name, body, why) => {
      const r = fail(body);
      expect(r.code).toBe('malformed_alert');
      expect(r.message).toMatch(why);
    });

    // Text commands, trailing commas and lists are other dialects' (test/alert-dialects/).
    it.each([
      ['a text command', 'buy BTCUSDT'],
      ['a trailing comma', '{"symbol":"BTCUSDT","action":"buy",}'],
      ['a list of one', '[{"symbol":"BTCUSDT","action":"buy"}]'],
    ])('reads %s', (_name, body) => {
      expect(ok(body)).toMatchObject({ symbol: 'BTCUSDT', action: 'buy' });
    });

    it('ignores unknown extra fields', () => {
      expect(ok({ ...base, interval: '15', note: 'hello', nested: { a: [1, 2] } })).toEqual(ok(base));
    });

    it('treats null as absent for optional fields', () => {
      expect(ok({ ...base, price: null, strategy: null, stop_loss: null })).toEqual(ok(base));
    });
  });

  describe('required fields', () => {
    it.each([
      ['symbol', { action: 'buy' }],
      ['symbol', { symbol: '', action: 'buy' }],
      ['symbol', { symbol: '   ', action: 'buy' }],
      ['symbol', { symbol: null, action: 'buy' }],
      ['action', { symbol: 'BTCUSDT' }],
      ['action', { symbol: 'BTCUSDT', action: null }],
    ])('requires %s', (field, body) => {
      const r = fail(body);
      expect(r).toMatchObject({ code: 'malformed_alert', field });
      expect(r.message).toContain(field);
    });

    it('trims the symbol', () => {
      expect(ok({ symbol: '  BTCUSDT ', action: 'buy' }).symbol).toBe('BTCUSDT');
    });

    it('refuses a non-string symbol', () => {
      expect(fail({ symbol: ['BTCUSDT'], action: 'buy' })).toMatchObject({ field: 'symbol' });
      expect(fail({ symbol: true, action: 'buy' })).toMatchObject({ field: 'symbol' });
    });
  });

  describe('action', () => {
    it.each([
      ['buy', 'buy', undefined],
      ['BUY', 'buy', undefined],
      ['  Buy  ', 'buy', undefined],
      ['long', 'buy', undefined],
      ['LONG', 'buy', undefined],
      ['sell', 'sell', undefined],
      ['Sell', 'sell', undefined],
      ['short', 'sell', undefined],
      ['close', 'close', 'both'],
      ['exit', 'close', 'both'],
      ['EXIT', 'close', 'both'],
      ['close_long', 'close', 'long'],
      ['Close_Long', 'close', 'long'],
      ['close_short', 'close', 'short'],
      [' CLOSE_SHORT ', 'close', 'short'],
    ])('maps %j to %s (closeSide %s)', (input, action, closeSide) => {
      const alert = ok({ ...base, action: input });
      expect(alert.action).toBe(action);
      expect(alert.closeSide).toBe(closeSide);
      expect('closeSide' in alert).toBe(closeSide !== undefined);
    });

    it.each(['hold', 'buy!', 'b', '1'])('refuses %j', (input) => {
      const r = fail({ ...base, action: input });
      expect(r).toMatchObject({ code: 'malformed_alert', field: 'action' });
      expect(r.message).toContain(JSON.stringify(input));
    });

    it('refuses a non-string action', () => {
      expect(fail({ ...base, action: 1 })).toMatchObject({ field: 'action' });
    });
  });

  describe('placeholders', () => {
    it('refuses an unresolved placeholder in a known field, naming it', () => {
      const r = fail({ ...base, price: '{{close}}' });
      expect(r).toMatchObject({ code: 'unresolved_placeholder', field: 'price' });
      expect(r.message).toContain('{{close}}');
      expect(r.message).toContain('price');
    });

    it('refuses a placeholder embedded in text', () => {
      expect(fail({ ...base, strategy: 'EMA {{interval}}m' })).toMatchObject({
        code: 'unresolved_placeholder',
        field: 'strategy',
      });
    });

    it('refuses a placeholder in the action (indicator alert using strategy placeholders)', () => {
      expect(fail({ ...base, action: '{{strategy.order.action}}' })).toMatchObject({
        code: 'unresolved_placeholder',
        field: 'action',
      });
    });

    it('refuses placeholders in unknown and nested fields too', () => {
      expect(fail({ ...base, comment: '{{strategy.order.comment}}' })).toMatchObject({ field: 'comment' });
      expect(fail({ ...base, meta: { bar: { t: '{{time}}' } } })).toMatchObject({ field: 'meta.bar.t' });
      expect(fail({ ...base, tags: ['ok', '{{ticker}}'] })).toMatchObject({ field: 'tags[1]' });
    });

    it('prefers reporting the placeholder over type errors', () => {
      expect(fail({ symbol: '{{ticker}}', action: 'buy' })).toMatchObject({ code: 'unresolved_placeholder', field: 'symbol' });
      expect(fail({ ...base, leverage: '{{leverage}}' })).toMatchObject({ code: 'unresolved_placeholder' });
    });

    it('accepts single braces and resolved values', () => {
      expect(ok({ ...base, strategy: 'a {b} c', note: '{ {x} }' }).strategy).toBe('a {b} c');
    });

    it('does not echo a placeholder found in the secret', () => {
      const r = fail({ ...base, secret: `${SECRET}{{secret}}` });
      expect(r).toMatchObject({ code: 'unresolved_placeholder', field: 'secret' });
      expect(r.message).not.toContain('{{secret}}');
      expect(r.message).not.toContain(SECRET);
    });

    it('shortens a long placeholder in the message', () => {
      const r = fail({ ...base, price: `{{${'x'.repeat(200)}}}` });
      expect(r.message.length).toBeLessThan(200);
    });
  });

  describe('numbers', () => {
    it.each([
      [37000, 37000],
      ['37000', 37000],
      ['0.5', 0.5],
      [' 0.5 ', 0.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e3', 1000],
      ['+2', 2],
      [1e-8, 1e-8],
    ])('accepts price %j', (input, expected) => {
      expect(ok({ ...base, price: input }).price).toBe(expected);
    });

    it.each([0, '0', -1, '-0.5', '', ' ', 'abc', '37,000', '0x10', 'Infinity', 'NaN', '1e400', true, [1], { v: 1 }])(
      'refuses price %j',
      (input) => {
        const r = fail({ ...base, price: input });
        expect(r).toMatchObject({ code: 'malformed_alert', field: 'price' });
        expect(r.message).toContain('"price"');
      },
    );

    it.each(['quantity', 'size', 'qty'])('reads %s as the quantity', (name) => {
      expect(ok({ ...base, [name]: '0.25' }).quantity).toBe(0.25);
    });

    it('accepts quantity and size given together when equal', () => {
      expect(ok({ ...base, quantity: 2, size: '2' }).quantity).toBe(2);
    });

    it('refuses quantity and size that disagree', () => {
      const r = fail({ ...base, quantity: 2, size: 3 });
      expect(r.field).toBe('quantity');
      expect(r.message).toMatch(/quantity.*size.*disagree/);
    });

    it.each(['stop_loss', 'stopLoss'])('reads %s', (name) => {
      expect(ok({ ...base, [name]: 100 }).stopLoss).toBe(100);
    });

    it.each(['take_profit', 'takeProfit'])('reads %s', (name) => {
      expect(ok({ ...base, [name]: '100' }).takeProfit).toBe(100);
    });

    it('names the spelling the user wrote in errors', () => {
      expect(fail({ ...base, stopLoss: 'x' }).field).toBe('stopLoss');
      expect(fail({ ...base, size: 0 }).field).toBe('size');
    });

    it.each([
      [1, true],
      ['1', true],
      [125, true],
      ['2.5', true],
      [0.99, false],
      [125.01, false],
      [126, false],
      [0, false],
      [-3, false],
    ])('leverage %j allowed: %s', (input, allowed) => {
      const r = parseAlert(JSON.stringify({ ...base, leverage: input }));
      expect(r.ok).toBe(allowed);
      if (r.ok) expect(r.alert.leverage).toBe(Number(input));
      else expect(r).toMatchObject({ field: 'leverage' });
    });
  });

  describe('size_type, order_type, market_position', () => {
    it.each(['base', 'quote', 'percent_equity', 'risk_percent'])('accepts size_type %s', (t) => {
      expect(ok({ ...base, size_type: t }).sizeType).toBe(t);
      expect(ok({ ...base, sizeType: t.toUpperCase() }).sizeType).toBe(t);
    });

    it('refuses an unknown size_type', () => {
      const r = fail({ ...base, size_type: 'percent' });
      expect(r).toMatchObject({ field: 'size_type' });
      expect(r.message).toContain('risk_percent');
    });

    it('leaves size_type unset when not given (sizing defaults it)', () => {
      expect('sizeType' in ok({ ...base, quantity: 1 })).toBe(false);
    });

    it('defaults to a market order and drops a limit price for market orders', () => {
      expect(ok({ ...base, limit_price: 10 })).toEqual({ ...ok(base) });
      expect(ok({ ...base, order_type: 'MARKET', price: 10 }).limitPrice).toBeUndefined();
    });

    it('takes limit_price for a limit order', () => {
      const a = ok({ ...base, order_type: 'limit', price: 100, limit_price: 99 });
      expect(a).toMatchObject({ orderType: 'limit', limitPrice: 99, price: 100 });
      expect(ok({ ...base, orderType: 'Limit', limitPrice: '98' })).toMatchObject({ orderType: 'limit', limitPrice: 98 });
    });

    it('falls back to price for a limit order without limit_price', () => {
      expect(ok({ ...base, order_type: 'limit', price: '101.5' })).toMatchObject({ orderType: 'limit', limitPrice: 101.5 });
    });

    it('refuses a limit order without any price', () => {
      const r = fail({ ...base, order_type: 'limit' });
      expect(r).toMatchObject({ code: 'malformed_alert', field: 'limit_price' });
    });

    it('refuses an unknown order type', () => {
      expect(fail({ ...base, order_type: 'stop' })).toMatchObject({ field: 'order_type' });
    });

    it.each([
      ['buy', 'long'],
      ['sell', 'short'],
      ['sell', 'FLAT'],
    ])('accepts %s with market_position %s', (action, p) => {
      expect(ok({ ...base, action, market_position: p }).marketPosition).toBe(p.toLowerCase());
    });

    it('refuses a buy that leaves the strategy short: a partial exit (TradersPost\'s sentiment rules)', () => {
      expect(fail({ ...base, market_position: 'short' })).toMatchObject({ code: 'unsupported_alert', field: 'market_position' });
    });

    it('refuses an unknown market_position', () => {
      expect(fail({ ...base, market_position: 'neutral' })).toMatchObject({ field: 'market_position' });
    });
  });

  describe('stop loss and take profit sides', () => {
    it('accepts protective levels', () => {
      expect(ok({ ...base, action: 'buy', price: 100, stop_loss: 95, take_profit: 110 })).toMatchObject({ stopLoss: 95, takeProfit: 110 });
      expect(ok({ ...base, action: 'sell', price: 100, stop_loss: 105, take_profit: 90 })).toMatchObject({ stopLoss: 105, takeProfit: 90 });
    });

    it.each([
      ['buy', 'stop_loss', 100],
      ['buy', 'stop_loss', 101],
      ['buy', 'take_profit', 100],
      ['buy', 'take_profit', 99],
      ['sell', 'stop_loss', 100],
      ['sell', 'stop_loss', 99],
      ['sell', 'take_profit', 100],
      ['sell', 'take_profit', 101],
    ])('refuses a %s with %s at %d against price 100', (action, field, level) => {
      const r = fail({ ...base, action, price: 100, [field]: level });
      expect(r).toMatchObject({ code: 'malformed_alert', field });
    });

    it('checks against the limit price when there is one', () => {
      expect(fail({ ...base, order_type: 'limit', price: 100, limit_price: 90, stop_loss: 95 })).toMatchObject({ field: 'stop_loss' });
    });

    it('does not check without a reference price, nor for closes', () => {
      expect(ok({ ...base, stop_loss: 1e9 }).stopLoss).toBe(1e9);
      expect(ok({ ...base, action: 'close', price: 100, stop_loss: 200 }).stopLoss).toBe(200);
    });
  });

  describe('timestamp', () => {
    const noon = Date.UTC(2025, 0, 1, 12, 0, 0);
    it.each([
      ['2025-01-01T12:00:00Z', noon],
      ['2025-01-01t12:00:00z', noon],
      ['2025-01-01T12:00Z', noon],
      ['2025-01-01T12:00:00.250Z', noon + 250],
      ['2025-01-01T12:00:00.123456789Z', noon + 123],
      ['2025-01-01T14:00:00+02:00', noon],
      ['2025-01-01T07:00:00-0500', noon],
      [noon / 1000, noon],
      [String(noon / 1000), noon],
      [noon, noon],
      [String(noon), noon],
      [1_000_000_000_000, 1_000_000_000_000 * 1000], // exactly 1e12 is still seconds
      [1_000_000_000_001, 1_000_000_000_001],
      [1735732800.5, noon + 500],
    ])('reads %j', (input, ms) => {
      expect(ok({ ...base, timestamp: input }).timestamp?.getTime()).toBe(ms);
    });

    it.each([
      '2025-01-01T12:00:00', // no zone: the server's local time would be a guess
      '2025-01-01',
      '2025-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z', // not a leap year
      '2025-13-01T00:00:00Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T12:60:00Z',
      '2025-01-01T12:00:60Z',
      'Jan 1 2025 12:00',
      'yesterday',
      '',
      0,
      -5,
      '-5',
      1e20,
      true,
    ])('refuses %j', (input) => {
      const r = fail({ ...base, timestamp: input });
      expect(r).toMatchObject({ code: 'malformed_alert', field: 'timestamp' });
    });

    it('accepts a leap day in a leap year', () => {
      expect(ok({ ...base, timestamp: '2024-02-29T00:00:00Z' }).timestamp?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    });
  });

  describe('text fields and lengths', () => {
    it.each([
      ['symbol', 40],
      ['strategy', 64],
      ['id', 64],
      ['secret', 256],
    ])('%s allows exactly %d characters and refuses one more', (field, max) => {
      const at = { ...base, [field]: 'A'.repeat(max) };
      expect((ok(at) as unknown as Record<string, unknown>)[field]).toBe('A'.repeat(max));
      const r = fail({ ...base, [field]: 'A'.repeat(max + 1) });
      expect(r).toMatchObject({ code: 'malformed_alert', field });
      expect(r.message).toContain(String(max));
    });

    it('treats empty optional text as absent', () => {
      const a = ok({ ...base, strategy: '', id: ' ', secret: '' });
      expect(a).toEqual(ok(base));
    });

    it('accepts a numeric id as text', () => {
      expect(ok({ ...base, id: 12345 }).id).toBe('12345');
    });

    it('refuses a strategy that is neither text nor an object, and reads the name of one that is', () => {
      expect(fail({ ...base, strategy: true })).toMatchObject({ field: 'strategy' });
      // TradingView templates nest strategy{…} placeholders; its "name" is the strategy's.
      expect(ok({ ...base, strategy: { name: 'x' } }).strategy).toBe('x');
    });
  });

  describe('the secret never appears in messages', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['too long', { ...base, secret: SECRET.repeat(20) }],
      ['a number', { ...base, secret: 123456789 }],
      ['an object', { ...base, secret: { value: SECRET } }],
      ['with a bad price', { ...base, secret: SECRET, price: 'abc' }],
      ['with a bad action', { symbol: 'BTCUSDT', action: 'nope', secret: SECRET }],
      ['with a missing symbol', { action: 'buy', secret: SECRET }],
      ['with a placeholder elsewhere', { ...base, secret: SECRET, price: '{{close}}' }],
    ];
    it.each(cases)('%s', (_name, body) => {
      const r = fail(body);
      expect(r.message).not.toContain(SECRET);
      expect(r.message).not.toContain('123456789');
    });

    it('when the body is not JSON', () => {
      const r = fail(`{"symbol":"BTCUSDT","secret":"${SECRET}",`);
      expect(r.message).not.toContain(SECRET);
    });
  });

  it('refuses a body nested deeper than any alert format, however deep, without overflowing', () => {
    for (const depth of [33, 5_000, 200_000]) {
      const r = parseAlert(`{"symbol":"BTCUSDT","action":"buy","x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(r).toMatchObject({ ok: false, code: 'malformed_alert', message: expect.stringContaining('nested deeper than') });
    }
    // Real templates nest a few levels: still read.
    expect(parseAlert(JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', meta: { a: { b: { c: [1, [2]] } } } })).ok).toBe(true);
  });
});
