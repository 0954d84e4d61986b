import { diffPositions } from '../src/position-reconciler';

describe('diffPositions', () => {
  const swap = 'BTC/USDT:USDT';
  it('finds a position closed, changed or opened behind the book', () => {
    expect(
      diffPositions(
        [
          { symbol: swap, amount: 0.05 },
          { symbol: 'ETH/USDT:USDT', amount: -1 },
        ],
        [
          { symbol: 'ETH/USDT:USDT', amount: -0.4, entryPrice: 2000 },
          { symbol: 'SOL/USDT:USDT', amount: 3, entryPrice: 150 },
        ],
      ),
    ).toEqual([
      { symbol: 'BTC/USDT:USDT', ours: 0.05, theirs: 0, theirEntryPrice: 0 },
      { symbol: 'ETH/USDT:USDT', ours: -1, theirs: -0.4, theirEntryPrice: 2000 },
      { symbol: 'SOL/USDT:USDT', ours: 0, theirs: 3, theirEntryPrice: 150 },
    ]);
  });

  it('sees agreement through float noise, and a flat book entry as no position', () => {
    expect(diffPositions([{ symbol: swap, amount: 0.1 + 0.2 }], [{ symbol: swap, amount: 0.3, entryPrice: 1 }])).toEqual([]);
    expect(diffPositions([{ symbol: swap, amount: 0 }], [])).toEqual([]);
  });

  it('compares swaps only: spot holdings are balances, not positions', () => {
    expect(diffPositions([{ symbol: 'BTC/USDT', amount: 0.5 }], [])).toEqual([]);
  });

  it('tells a long from a short of the same size', () => {
    expect(diffPositions([{ symbol: swap, amount: 0.05 }], [{ symbol: swap, amount: -0.05, entryPrice: 37000 }])).toHaveLength(1);
  });
});
