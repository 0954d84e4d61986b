import { triggerCrossed } from '../src/paper-triggers';

describe('triggerCrossed', () => {
  const long = { side: 'long' as const, stopLoss: 95, takeProfit: 110 };
  const short = { side: 'short' as const, stopLoss: 105, takeProfit: 90 };

  it.each([
    [long, 100, undefined],
    [long, 95, 'stop_loss'],
    [long, 80, 'stop_loss'],
    [long, 110, 'take_profit'],
    [long, 130, 'take_profit'],
    [short, 100, undefined],
    [short, 105, 'stop_loss'],
    [short, 120, 'stop_loss'],
    [short, 90, 'take_profit'],
    [short, 70, 'take_profit'],
  ] as const)('%j at %d: %s', (t, price, expected) => {
    expect(triggerCrossed(t, price)).toBe(expected);
  });

  it('watches only the triggers that are set', () => {
    expect(triggerCrossed({ side: 'long', stopLoss: null, takeProfit: 110 }, 1)).toBeUndefined();
    expect(triggerCrossed({ side: 'long', stopLoss: 95 }, 1_000)).toBeUndefined();
    expect(triggerCrossed({ side: 'short', takeProfit: 90 }, 1_000)).toBeUndefined();
  });

  it('takes the stop when one price reaches both (a gap through an inverted pair)', () => {
    expect(triggerCrossed({ side: 'long', stopLoss: 100, takeProfit: 90 }, 95)).toBe('stop_loss');
  });

  it('ignores a price that is not one', () => {
    expect(triggerCrossed(long, 0)).toBeUndefined();
    expect(triggerCrossed(long, Number.NaN)).toBeUndefined();
  });
});
