import { createLogger } from '@tbot/common';
import { encodeTradingEvent, type TradingEvents, type TradingSubject } from '../src/events';
import { isDayLongRule, limitNoticeKey, LimitNotices, utcDay } from '../src/limit-notices';
import type { TradingModels } from '../src/models';

const USER = '0b9e7c1a-3f2d-4e5c-9a8b-7c6d5e4f3a2b';

describe('once-per-day keys of risk limit notices', () => {
  it('is the UTC day, so one second before and after midnight UTC are two days', () => {
    expect(utcDay(new Date('2026-03-04T23:59:59.999Z'))).toBe('2026-03-04');
    expect(utcDay(new Date('2026-03-05T00:00:00.000Z'))).toBe('2026-03-05');
    // 23:30 in New York on the 4th is already the 5th in UTC.
    expect(utcDay(new Date('2026-03-04T23:30:00-05:00'))).toBe('2026-03-05');
  });

  it('names user, rule and day', () => {
    const at = new Date('2026-03-04T10:00:00Z');
    expect(limitNoticeKey(USER, 'daily_loss_limit', at)).toBe(`${USER}|daily_loss_limit|2026-03-04`);
    expect(limitNoticeKey(USER, 'daily_loss_limit', at)).toBe(limitNoticeKey(USER, 'daily_loss_limit', new Date('2026-03-04T23:00:00Z')));
    expect(limitNoticeKey(USER, 'daily_loss_limit', at)).not.toBe(limitNoticeKey(USER, 'trading_disabled', at));
    expect(limitNoticeKey(USER, 'daily_loss_limit', at)).not.toBe(limitNoticeKey(USER, 'daily_loss_limit', new Date('2026-03-05T00:00:00Z')));
  });

  it('only the kill switch and the daily loss limit stop a whole day', () => {
    expect(isDayLongRule('trading_disabled')).toBe(true);
    expect(isDayLongRule('daily_loss_limit')).toBe(true);
    for (const r of ['max_orders_per_minute', 'max_orders_per_day', 'cooldown', '', undefined]) expect(isDayLongRule(r)).toBe(false);
  });
});

describe('LimitNotices', () => {
  // A unique index stands in for MongoDB's; the integration test runs the real one.
  function setup() {
    const ids = new Set<string>();
    const emitted: Array<{ subject: TradingSubject; msgId: string; body: Record<string, unknown> }> = [];
    const models = {
      RiskLimitNotice: {
        create: async (doc: { _id: string }) => {
          if (ids.has(doc._id)) throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
          ids.add(doc._id);
          return doc;
        },
      },
    } as unknown as TradingModels;
    const events = { emit: (subject: TradingSubject, msgId: string, body: Record<string, unknown>) => emitted.push({ subject, msgId, body }) } as unknown as TradingEvents;
    return { notices: new LimitNotices({ models, events, logger: createLogger('test', 'silent') }), emitted };
  }
  const reach = (rule: string, at: string) => ({ userId: USER, rule: rule as 'daily_loss_limit', signalId: 'sig_1', message: 'm', limit: 100, value: 120, at: new Date(at) });

  it('announces once per user, rule and day, with a body that fits the proto schema', async () => {
    const { notices, emitted } = setup();
    expect(await notices.reached(reach('daily_loss_limit', '2026-03-04T10:00:00Z'))).toBe(true);
    expect(await notices.reached(reach('daily_loss_limit', '2026-03-04T18:00:00Z'))).toBe(false);
    expect(await notices.reached(reach('trading_disabled', '2026-03-04T18:00:00Z'))).toBe(true);
    expect(await notices.reached(reach('daily_loss_limit', '2026-03-05T00:00:01Z'))).toBe(true);
    expect(emitted.map((e) => e.msgId)).toEqual([
      `limit:${USER}|daily_loss_limit|2026-03-04`,
      `limit:${USER}|trading_disabled|2026-03-04`,
      `limit:${USER}|daily_loss_limit|2026-03-05`,
    ]);
    const first = emitted[0]!;
    expect(JSON.parse(encodeTradingEvent(first.subject, first.body))).toEqual({
      user_id: USER, rule: 'daily_loss_limit', limit: 100, value: 120, day: '2026-03-04', signal_id: 'sig_1', message: 'm',
    });
  });

  it('ignores rules that do not stop the day', async () => {
    const { notices, emitted } = setup();
    expect(await notices.reached(reach('max_orders_per_minute', '2026-03-04T10:00:00Z'))).toBe(false);
    expect(emitted).toEqual([]);
  });
});
