import { parseSince, parseWebhooksArgs } from '../src/cli/webhooks-args';

const now = new Date('2026-11-27T12:00:00Z');
const parse = (line: string) => parseWebhooksArgs(line.split(' ').filter(Boolean), now);

describe('npm run webhooks -- …', () => {
  it('lists dead letters and unmatched events, optionally of one provider', () => {
    expect(parse('list-dead')).toEqual({ cmd: 'list-dead' });
    expect(parse('list-dead --provider stripe --limit 5')).toEqual({ cmd: 'list-dead', provider: 'stripe', limit: 5 });
    expect(parse('list-unmatched --provider paystack')).toEqual({ cmd: 'list-unmatched', provider: 'paystack' });
  });

  it('replays one event, every dead letter of a provider, or a time range of the stream', () => {
    expect(parse('replay stripe:evt_1')).toEqual({ cmd: 'replay-one', eventKey: 'stripe:evt_1' });
    expect(parse('replay --provider stripe')).toEqual({ cmd: 'replay-dead', provider: 'stripe' });
    expect(parse('replay --provider stripe --since 2h')).toEqual({ cmd: 'redeliver', provider: 'stripe', since: new Date('2026-11-27T10:00:00Z') });
    expect(parse('replay --since 30m --until 10m')).toEqual({
      cmd: 'redeliver',
      since: new Date('2026-11-27T11:30:00Z'),
      until: new Date('2026-11-27T11:50:00Z'),
    });
    expect(parse('show paystack:charge:ref_1')).toEqual({ cmd: 'show', eventKey: 'paystack:charge:ref_1' });
    expect(parse('reconcile')).toEqual({ cmd: 'reconcile' });
  });

  it('refuses what it cannot do, naming the problem', () => {
    expect(() => parse('')).toThrow('no command');
    expect(() => parse('purge')).toThrow('unknown command purge');
    expect(() => parse('replay')).toThrow(/needs an event key/);
    expect(() => parse('replay --provider adyen')).toThrow(/stripe or paystack/);
    expect(() => parse('replay --since yesterday')).toThrow(/not a duration/);
    expect(() => parse('replay --until 1h')).toThrow(/--until needs --since/);
    expect(() => parse('replay stripe:evt_1 --provider stripe')).toThrow(/not both/);
    expect(() => parse('list-dead --limit -3')).toThrow(/positive/);
    expect(() => parse('list-dead --color red')).toThrow(/unknown option --color/);
    expect(() => parse('list-dead --provider')).toThrow(/needs a value/);
  });

  it('reads durations and ISO dates', () => {
    expect(parseSince('90s', now)).toEqual(new Date('2026-11-27T11:58:30Z'));
    expect(parseSince('3d', now)).toEqual(new Date('2026-11-24T12:00:00Z'));
    expect(parseSince('2026-11-01T00:00:00Z', now)).toEqual(new Date('2026-11-01T00:00:00Z'));
  });
});
