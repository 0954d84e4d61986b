import { pnlByDay, pnlWindowStart } from '../src/pnl';

const now = new Date('2026-03-10T15:00:00Z');

describe('pnlByDay', () => {
  it('starts the window at midnight UTC, days - 1 days ago', () => {
    expect(pnlWindowStart(1, now).toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(pnlWindowStart(3, now).toISOString()).toBe('2026-03-08T00:00:00.000Z');
  });

  it('lists every day, sums each and runs the total', () => {
    const r = pnlByDay(
      [
        { createdAt: new Date('2026-03-08T23:59:59Z'), realizedPnl: 10 },
        { createdAt: new Date('2026-03-10T00:00:00Z'), realizedPnl: -4 },
        { createdAt: new Date('2026-03-10T12:00:00Z'), realizedPnl: 1.5 },
      ],
      3,
      now,
    );
    expect(r.daily).toEqual([
      { day: '2026-03-08', realizedPnl: 10 },
      { day: '2026-03-09', realizedPnl: 0 },
      { day: '2026-03-10', realizedPnl: -2.5 },
    ]);
    expect(r.cumulative).toEqual([
      { day: '2026-03-08', realizedPnl: 10 },
      { day: '2026-03-09', realizedPnl: 10 },
      { day: '2026-03-10', realizedPnl: 7.5 },
    ]);
  });

  it('ignores trades outside the window and hides float noise', () => {
    const r = pnlByDay(
      [
        { createdAt: new Date('2026-03-01T00:00:00Z'), realizedPnl: 100 },
        { createdAt: new Date('2026-03-10T01:00:00Z'), realizedPnl: 0.1 },
        { createdAt: new Date('2026-03-10T02:00:00Z'), realizedPnl: 0.2 },
      ],
      1,
      now,
    );
    expect(r.daily).toEqual([{ day: '2026-03-10', realizedPnl: 0.3 }]);
  });
});
