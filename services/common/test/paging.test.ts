import { afterCursor, decodePageCursor, encodePageCursor, pageLimit, pageOf } from '../src/paging';

describe('keyset paging', () => {
  it('bounds the page size to 1..200, 50 by default', () => {
    expect([0, 1, 50, 200, 201, 5000].map(pageLimit)).toEqual([50, 1, 50, 200, 200, 200]);
  });

  it('round-trips a cursor', () => {
    const c = { at: new Date('2026-05-01T10:00:00.123Z'), id: 'stripe:evt_1|x' };
    expect(decodePageCursor(encodePageCursor(c))).toEqual(c);
  });

  it.each(['', 'not base64!', Buffer.from('abc|id').toString('base64url'), Buffer.from('12|').toString('base64url'), 'A'.repeat(601)])(
    'refuses %p',
    (token) => {
      expect(decodePageCursor(token)).toBeUndefined();
    },
  );

  it('reads items after the cursor: older, or as old with a smaller id', () => {
    const at = new Date(1000);
    expect(afterCursor('createdAt', { at, id: 'b' })).toEqual({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'b' } }] });
    expect(afterCursor('createdAt', undefined)).toEqual({});
  });

  it('gives a token only when more items were read than the page holds', () => {
    const items = [1, 2, 3].map((n) => ({ _id: `u${n}`, at: new Date(n * 1000) }));
    const cursorOf = (i: (typeof items)[number]) => ({ at: i.at, id: i._id });
    const more = pageOf(items, 2, cursorOf);
    expect(more.items).toHaveLength(2);
    expect(decodePageCursor(more.nextPageToken)).toEqual({ at: new Date(2000), id: 'u2' });
    expect(pageOf(items, 3, cursorOf).nextPageToken).toBe('');
  });
});
