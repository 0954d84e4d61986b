import { decodeMessage, withoutCommentsAndTrailingCommas } from '../../src/alert-dialects/decode';

describe('decodeMessage', () => {
  it('reads JSON, JSON with // and /* */ comments and trailing commas', () => {
    expect(decodeMessage('{"a": 1}')).toEqual({ kind: 'json', value: { a: 1 } });
    const commented = '{\n  "code": "Enter-Long",  // must match\n  /* size */ "amountPerTrade": 10,\n}';
    expect(decodeMessage(commented)).toEqual({ kind: 'json', value: { code: 'Enter-Long', amountPerTrade: 10 } });
  });

  it('leaves // inside strings alone', () => {
    expect(withoutCommentsAndTrailingCommas('{"url": "https://x.test/a", "b": "c,}"}')).toBe('{"url": "https://x.test/a", "b": "c,}"}');
  });

  it('reads a JSON document inside a JSON string', () => {
    expect(decodeMessage(JSON.stringify(JSON.stringify({ ticker: 'BTCUSDT' })))).toEqual({ kind: 'json', value: { ticker: 'BTCUSDT' } });
  });

  it('reads arrays, strips a BOM, and passes anything else on as text', () => {
    expect(decodeMessage('\uFEFF[{"a":1}]')).toEqual({ kind: 'json', value: [{ a: 1 }] });
    expect(decodeMessage('buy BTCUSDT 0.01')).toEqual({ kind: 'text', text: 'buy BTCUSDT 0.01' });
  });

  it('refuses an empty message and broken JSON without quoting the body', () => {
    expect(decodeMessage('  \n')).toMatchObject({ ok: false, code: 'malformed_alert', message: 'the alert message is empty' });
    const r = decodeMessage('{"secret": "sEcReT-not-in-errors", "action": ');
    expect(r).toMatchObject({ ok: false, code: 'malformed_alert', message: expect.stringMatching(/not valid JSON/) });
    expect(JSON.stringify(r)).not.toContain('sEcReT');
    expect(decodeMessage('"just a string"')).toMatchObject({ ok: false });
  });
});
