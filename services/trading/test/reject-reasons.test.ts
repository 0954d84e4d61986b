import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_REJECT_CODES, reasonInWords } from '../src/reject-reasons';

describe('reasonInWords', () => {
  it('is empty without a code', () => {
    expect(reasonInWords('')).toBe('');
  });

  it('puts a code in words, with the risk rule after it', () => {
    expect(reasonInWords('stale_signal')).toBe('The alert was too old to trade on');
    expect(reasonInWords('risk_rejected', 'max_orders_per_day')).toBe('Refused by the risk profile: too many orders today');
  });

  it('shows an unknown code or rule as itself', () => {
    expect(reasonInWords('brand_new')).toBe('brand_new');
    expect(reasonInWords('risk_rejected', 'brand_new_rule')).toBe('Refused by the risk profile: brand_new_rule');
  });

  it('has words for every code the proto lists', () => {
    // The proto's SubmitSignalResponse.reject_code comment is the list of codes callers see.
    const proto = readFileSync(join(__dirname, '../../../proto/trading/v1/trading.proto'), 'utf8');
    const comment = /message SubmitSignalResponse \{[\s\S]*?string reject_code/.exec(proto)![0];
    const listed = [...comment.matchAll(/\b([a-z]+(?:_[a-z]+)+)\b/g)].map((m) => m[1]!).filter((c) => c !== 'reject_code' && c !== 'signal_id' && c !== 'trade_id');
    expect(listed.length).toBeGreaterThan(10);
    for (const code of listed) expect(KNOWN_REJECT_CODES).toContain(code);
  });
});
