import { createHash } from 'node:crypto';
import type { Alert } from '../src/alert';
import { clientOrderId, signalDedupeKey } from '../src/signal-key';

const RECEIVED = new Date('2025-01-01T12:00:30Z');
const TS = new Date('2025-01-01T12:00:00Z');

function alert(over: Partial<Alert> = {}): Alert {
  return { symbol: 'BTCUSDT', action: 'buy', orderType: 'market', ...over };
}

const body = '{"symbol":"BTCUSDT","action":"buy","secret":"s3cr3t-value"}';

describe('signalDedupeKey', () => {
  describe('with an alert id', () => {
    const key = signalDedupeKey('user-1', alert({ id: 'sig-1' }), body, RECEIVED);

    it('depends only on the user and the id', () => {
      expect(key).toMatch(/^id_[0-9a-f]{64}$/);
      const other = alert({ id: 'sig-1', action: 'sell', symbol: 'ETHUSDT', timestamp: TS, strategy: 'x', price: 5 });
      expect(signalDedupeKey('user-1', other, 'different body', new Date('2030-01-01T00:00:00Z'))).toBe(key);
    });

    it('differs by id and by user', () => {
      expect(signalDedupeKey('user-1', alert({ id: 'sig-2' }), body, RECEIVED)).not.toBe(key);
      expect(signalDedupeKey('user-2', alert({ id: 'sig-1' }), body, RECEIVED)).not.toBe(key);
    });

    it('does not let user and id run into each other', () => {
      expect(signalDedupeKey('ab', alert({ id: 'c' }), body, RECEIVED)).not.toBe(signalDedupeKey('a', alert({ id: 'bc' }), body, RECEIVED));
    });
  });

  describe('with a timestamp and no id', () => {
    const a = alert({ timestamp: TS, strategy: 'EMA' });
    const key = signalDedupeKey('user-1', a, body, RECEIVED);

    it('ignores the raw body and the time received (retries arrive later)', () => {
      expect(key).toMatch(/^ts_[0-9a-f]{64}$/);
      expect(signalDedupeKey('user-1', { ...a, price: 123 }, `${body} `, new Date(RECEIVED.getTime() + 120_000))).toBe(key);
    });

    it('ignores the symbol’s case', () => {
      expect(signalDedupeKey('user-1', { ...a, symbol: 'btcusdt' }, body, RECEIVED)).toBe(key);
    });

    it.each([
      ['timestamp', { timestamp: new Date(TS.getTime() + 1000) }],
      ['symbol', { symbol: 'ETHUSDT' }],
      ['action', { action: 'sell' as const }],
      ['strategy', { strategy: 'RSI' }],
      ['strategy absent', { strategy: undefined }],
    ])('differs by %s', (_name, change) => {
      expect(signalDedupeKey('user-1', { ...a, ...change }, body, RECEIVED)).not.toBe(key);
    });

    it('differs by user', () => {
      expect(signalDedupeKey('user-2', a, body, RECEIVED)).not.toBe(key);
    });

    it('tells close_long from close_short in the same second', () => {
      const long = signalDedupeKey('u', alert({ timestamp: TS, action: 'close', closeSide: 'long' }), body, RECEIVED);
      const short = signalDedupeKey('u', alert({ timestamp: TS, action: 'close', closeSide: 'short' }), body, RECEIVED);
      const both = signalDedupeKey('u', alert({ timestamp: TS, action: 'close', closeSide: 'both' }), body, RECEIVED);
      expect(new Set([long, short, both]).size).toBe(3);
    });
  });

  describe('with neither', () => {
    const key = signalDedupeKey('user-1', alert(), body, RECEIVED);

    it('is the same for the same body within the minute received', () => {
      expect(key).toMatch(/^body_[0-9a-f]{64}$/);
      expect(signalDedupeKey('user-1', alert(), body, new Date('2025-01-01T12:00:00.000Z'))).toBe(key);
      expect(signalDedupeKey('user-1', alert(), body, new Date('2025-01-01T12:00:59.999Z'))).toBe(key);
    });

    it('differs in the next minute', () => {
      expect(signalDedupeKey('user-1', alert(), body, new Date('2025-01-01T12:01:00.000Z'))).not.toBe(key);
    });

    it('differs by body and by user', () => {
      expect(signalDedupeKey('user-1', alert(), body.replace('buy', 'sell'), RECEIVED)).not.toBe(key);
      expect(signalDedupeKey('user-1', alert(), `${body} `, RECEIVED)).not.toBe(key);
      expect(signalDedupeKey('user-2', alert(), body, RECEIVED)).not.toBe(key);
    });

    it('does not contain the body or its secret', () => {
      expect(key).not.toContain('s3cr3t');
    });

    it('refuses an invalid received date', () => {
      expect(() => signalDedupeKey('user-1', alert(), body, new Date(Number.NaN))).toThrow(/receivedAt/);
    });

    it('treats an invalid timestamp as none', () => {
      expect(signalDedupeKey('user-1', alert({ timestamp: new Date(Number.NaN) }), body, RECEIVED)).toBe(key);
    });
  });
});

describe('signalDedupeKey for a message of several commands', () => {
  const flip = 'CLOSE, BTCUSDT, SIDE=SELL\nBUY, BTCUSDT';

  it('keeps the first command\'s key as a one-command message had it', () => {
    expect(signalDedupeKey('user-1', alert(), flip, RECEIVED, '', 0)).toBe(signalDedupeKey('user-1', alert(), flip, RECEIVED));
    expect(signalDedupeKey('user-1', alert({ id: 'a' }), flip, RECEIVED, '', 0)).toBe(signalDedupeKey('user-1', alert({ id: 'a' }), flip, RECEIVED));
  });

  it('gives every command its own key under each rule, the same on every resend', () => {
    for (const a of [alert(), alert({ id: 'a' }), alert({ timestamp: TS })]) {
      const keys = [0, 1, 2].map((n) => signalDedupeKey('user-1', a, flip, RECEIVED, '', n));
      expect(new Set(keys).size).toBe(3);
      expect([0, 1, 2].map((n) => signalDedupeKey('user-1', a, flip, new Date(RECEIVED.getTime() + 1000), '', n))).toEqual(keys);
    }
  });

  it('refuses a command index that is not a non-negative integer', () => {
    expect(() => signalDedupeKey('user-1', alert(), flip, RECEIVED, '', -1)).toThrow();
    expect(() => signalDedupeKey('user-1', alert(), flip, RECEIVED, '', 1.5)).toThrow();
  });
});

describe('clientOrderId', () => {
  const key = signalDedupeKey('user-1', alert({ id: 'sig-1' }), body, RECEIVED);

  it('is 1–32 alphanumerics starting with a letter', () => {
    for (const k of [key, 'x', 'a'.repeat(1000), 'ünïcödé key with spaces']) {
      for (const leg of [0, 1, 2]) {
        const id = clientOrderId(k, leg);
        expect(id).toMatch(/^[A-Za-z][A-Za-z0-9]{0,31}$/);
        expect(id.length).toBeLessThanOrEqual(32);
      }
    }
  });

  it('is deterministic and defaults to leg 0', () => {
    expect(clientOrderId(key)).toBe(clientOrderId(key, 0));
    expect(clientOrderId(key, 1)).toBe(clientOrderId(key, 1));
  });

  it('differs by leg and by key', () => {
    expect(clientOrderId(key, 0)).not.toBe(clientOrderId(key, 1));
    expect(clientOrderId(key, 0)).not.toBe(clientOrderId(`${key}x`, 0));
  });

  it('does not collide over many keys', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(clientOrderId(`key-${i}`, i % 2));
    expect(ids.size).toBe(5000);
  });

  it.each([-1, 0.5, Number.NaN])('refuses leg %d', (leg) => {
    expect(() => clientOrderId(key, leg)).toThrow(/leg/);
  });

  it('refuses an empty key', () => {
    expect(() => clientOrderId('')).toThrow(/empty/);
  });
});

describe('signalDedupeKey with strategies', () => {
  const STG_A = `stg_${'a'.repeat(32)}`;
  const STG_B = `stg_${'b'.repeat(32)}`;
  const cases: Array<[string, Partial<Alert>]> = [
    ['an id', { id: 'sig-1' }],
    ['a timestamp', { timestamp: TS }],
    ['neither (the raw body)', {}],
  ];

  it.each(cases)('with %s: identical bodies on two strategies of one user are two signals', (_rule, over) => {
    const a = signalDedupeKey('user-1', alert(over), body, RECEIVED, STG_A);
    const b = signalDedupeKey('user-1', alert(over), body, RECEIVED, STG_B);
    expect(a).not.toBe(b);
    expect(a).not.toBe(signalDedupeKey('user-1', alert(over), body, RECEIVED));
  });

  it.each(cases)('with %s: a resend to the same strategy is the same signal', (_rule, over) => {
    expect(signalDedupeKey('user-1', alert(over), body, new Date(RECEIVED.getTime() + 1000), STG_A)).toBe(
      signalDedupeKey('user-1', alert(over), body, RECEIVED, STG_A),
    );
  });

  it('keeps the per-user key as it was before strategies (an empty strategy id changes nothing)', () => {
    const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
    expect(signalDedupeKey('user-1', alert({ id: 'sig-1' }), body, RECEIVED, '')).toBe(`id_${sha(JSON.stringify(['id', 'user-1', 'sig-1']))}`);
    expect(signalDedupeKey('user-1', alert({ id: 'sig-1' }), body, RECEIVED)).toBe(`id_${sha(JSON.stringify(['id', 'user-1', 'sig-1']))}`);
  });

  it('takes a message without symbol or action (the strategy fills them later)', () => {
    const key = signalDedupeKey('user-1', { timestamp: TS }, body, RECEIVED, STG_A);
    expect(key).toMatch(/^ts_[0-9a-f]{64}$/);
    expect(signalDedupeKey('user-1', { timestamp: TS, action: 'sell' }, body, RECEIVED, STG_A)).not.toBe(key);
  });
});
