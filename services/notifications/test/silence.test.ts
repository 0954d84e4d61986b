import { silenceKey, silenceOf, validSilenceHours } from '../src/silence';

const U = 'u1';
const H = 3_600_000;
const t0 = new Date('2026-03-04T00:00:00Z');
const at = (hours: number) => new Date(t0.getTime() + hours * H);

describe('silence periods', () => {
  it('is silent once N hours passed since the last alert, not a moment before', () => {
    expect(silenceOf({ userId: U, hours: 4, lastAlertAt: at(1), enabledAt: t0, now: at(4.99) })).toEqual({ silent: false, dueAt: at(5) });
    expect(silenceOf({ userId: U, hours: 4, lastAlertAt: at(1), enabledAt: t0, now: at(5) })).toEqual({ silent: true, since: at(1), key: silenceKey(U, at(1)) });
  });

  it('keeps one key for the whole silence, so checks every minute notify once', () => {
    const keys = new Set([5, 6, 30, 100].map((h) => {
      const d = silenceOf({ userId: U, hours: 4, lastAlertAt: at(1), enabledAt: t0, now: at(h) });
      return d.silent ? d.key : 'not silent';
    }));
    expect(keys).toEqual(new Set([`${U}|${at(1).getTime()}`]));
  });

  it('starts a new silence after alerts resume, with a new key', () => {
    const first = silenceOf({ userId: U, hours: 4, lastAlertAt: at(1), enabledAt: t0, now: at(6) });
    expect(silenceOf({ userId: U, hours: 4, lastAlertAt: at(7), enabledAt: t0, now: at(8) })).toMatchObject({ silent: false });
    const second = silenceOf({ userId: U, hours: 4, lastAlertAt: at(7), enabledAt: t0, now: at(11) });
    expect(first.silent && second.silent && first.key !== second.key).toBe(true);
  });

  it('counts from when the setting was turned on, for a user with no alert since', () => {
    expect(silenceOf({ userId: U, hours: 2, enabledAt: at(10), now: at(11) })).toMatchObject({ silent: false, dueAt: at(12) });
    expect(silenceOf({ userId: U, hours: 2, enabledAt: at(10), now: at(12) })).toMatchObject({ silent: true, since: at(10) });
    // An alert from before turning it on does not make it fire at once.
    expect(silenceOf({ userId: U, hours: 2, lastAlertAt: at(-100), enabledAt: at(10), now: at(11) })).toMatchObject({ silent: false });
  });

  it('never fires when off', () => {
    expect(silenceOf({ userId: U, hours: 0, lastAlertAt: at(-1000), enabledAt: at(-1000), now: t0 })).toMatchObject({ silent: false });
  });

  it('accepts 0 or whole hours from 1 to 168', () => {
    for (const ok of [0, 1, 24, 168]) expect(validSilenceHours(ok)).toBe(true);
    for (const bad of [-1, 0.5, 169, Number.NaN, 1e9]) expect(validSilenceHours(bad)).toBe(false);
  });
});
