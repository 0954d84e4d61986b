import { latencyMs, signalTimeline, traceUrl, type TimelineTrade } from '../src/api/signal-timeline';

const t0 = new Date('2026-04-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const signal = { receivedAt: t0, symbol: 'BTC/USDT', action: 'buy', strategy: '', reason: '', message: '' };
const trade = (over: Partial<TimelineTrade> = {}): TimelineTrade => ({
  id: 'trd_1',
  createdAt: at(40),
  settledAt: at(90),
  updatedAt: at(95),
  status: 'filled',
  side: 'buy',
  amount: 0.01,
  symbol: 'BTC/USDT',
  price: 37000,
  mode: 'paper',
  error: '',
  ...over,
});

describe('signalTimeline', () => {
  it('follows an executed signal from receipt to fill and its notification', () => {
    const steps = signalTimeline({ ...signal, status: 'executed', decidedAt: at(100) }, [trade()], [
      { channel: 'telegram', status: 'delivered', title: 'Filled: BUY', createdAt: at(120), lastAttemptAt: at(150) },
    ]);
    expect(steps).toEqual([
      { stage: 'received', at: t0, ok: true, detail: 'buy BTC/USDT' },
      { stage: 'checked', at: at(40), ok: true, detail: 'checks passed' },
      { stage: 'order', at: at(40), ok: true, detail: 'buy 0.01 BTC/USDT (paper)' },
      { stage: 'fill', at: at(90), ok: true, detail: 'filled at 37000' },
      { stage: 'notification', at: at(150), ok: true, detail: 'telegram: Filled: BUY (delivered)' },
    ]);
  });

  it('stops a refused signal at the checks, with the reason in words', () => {
    const steps = signalTimeline({ ...signal, status: 'rejected', decidedAt: at(7), reason: 'Refused by the risk profile: too many orders today', message: 'x' }, [], []);
    expect(steps.map((s) => [s.stage, s.ok, s.detail])).toEqual([
      ['received', true, 'buy BTC/USDT'],
      ['checked', false, 'Refused by the risk profile: too many orders today'],
    ]);
    expect(steps[1]!.at).toEqual(at(7));
  });

  it('shows a failed order on its order step, with no fill', () => {
    const steps = signalTimeline({ ...signal, status: 'failed', decidedAt: at(60) }, [trade({ status: 'rejected', error: 'insufficient balance', settledAt: undefined })], []);
    expect(steps.map((s) => [s.stage, s.ok, s.detail])).toEqual([
      ['received', true, 'buy BTC/USDT'],
      ['checked', true, 'checks passed'],
      ['order', false, 'buy 0.01 BTC/USDT (paper): rejected: insufficient balance'],
    ]);
  });

  it('puts the refusal of an old record at its receipt and uses updatedAt for an old fill', () => {
    expect(signalTimeline({ ...signal, status: 'rejected', reason: 'r' }, [], [])[1]!.at).toEqual(t0);
    const fill = signalTimeline({ ...signal, status: 'executed' }, [trade({ settledAt: undefined })], []).find((s) => s.stage === 'fill');
    expect(fill!.at).toEqual(at(95));
  });

  it('has nothing after receipt while the signal is still accepted', () => {
    expect(signalTimeline({ ...signal, status: 'accepted' }, [], []).map((s) => s.stage)).toEqual(['received']);
  });
});

describe('latencyMs and traceUrl', () => {
  it('measures receipt to decision, and nothing without a decision time', () => {
    expect(latencyMs(t0, at(250))).toBe(250);
    expect(latencyMs(t0, undefined)).toBeUndefined();
  });

  it('links a trace id under JAEGER_UI_URL only when both are there', () => {
    const id = '0af7651916cd43dd8448eb211c80319c';
    expect(traceUrl('http://localhost:16686/', id)).toBe(`http://localhost:16686/trace/${id}`);
    expect(traceUrl(undefined, id)).toBeUndefined();
    expect(traceUrl('http://localhost:16686', '')).toBeUndefined();
  });
});
