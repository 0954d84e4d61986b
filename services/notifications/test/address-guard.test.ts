import { checkTargetUrl, isPrivateAddress } from '../src/channels/webhook/address-guard';
import { guardedLookup, PrivateTargetError } from '../src/channels/webhook/http-post';
import { endpointUrlOf } from '../src/rpc/validate';

describe('outbound webhook targets', () => {
  it.each([
    '127.0.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fd12:3456::1', 'fc00::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::a9fe:a9fe', 'not-an-ip',
  ])('refuses %s', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows %s', (ip) =>
    expect(isPrivateAddress(ip)).toBe(false),
  );

  it('checks the URL itself: scheme, credentials, https, literal addresses', () => {
    expect(checkTargetUrl('https://hooks.example.com/x', false)).toMatchObject({ ok: true });
    expect(checkTargetUrl('nope', false)).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(checkTargetUrl('ftp://example.com', false)).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(checkTargetUrl('https://u:p@example.com', false)).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(checkTargetUrl('http://example.com', false)).toMatchObject({ ok: false, code: 'insecure_url' });
    expect(checkTargetUrl('https://127.0.0.1/', false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTargetUrl('https://[::ffff:127.0.0.1]/', false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTargetUrl('https://localhost:8080/', false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTargetUrl('http://127.0.0.1:9/', true)).toMatchObject({ ok: true });
  });

  it('refuses a name that resolves to a private address, with a machine-readable reason', async () => {
    const resolvesTo = (address: string) => (async () => [{ address, family: address.includes(':') ? 6 : 4 }]) as never;
    await expect(endpointUrlOf('https://internal.example.com/h', false, resolvesTo('10.0.0.7'))).rejects.toThrow(/^\[invalid_argument\] private_target: /);
    await expect(endpointUrlOf('https://internal.example.com/h', false, resolvesTo('::ffff:127.0.0.1'))).rejects.toThrow(/private_target/);
    await expect(endpointUrlOf('https://hooks.example.com/h', false, resolvesTo('93.184.215.14'))).resolves.toBe('https://hooks.example.com/h');
    const fails = (async () => {
      throw new Error('ENOTFOUND');
    }) as never;
    await expect(endpointUrlOf('https://nowhere.invalid/h', false, fails)).rejects.toThrow(/unresolvable_host/);
  });

  it('refuses private answers at connection time (the lookup the request itself uses)', async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise<unknown>((resolve) => lookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err).toBeInstanceOf(PrivateTargetError);
    const allowed = await new Promise<unknown>((resolve) => guardedLookup(true)('localhost', { all: true }, (e, a) => resolve(e ?? a)));
    expect(Array.isArray(allowed)).toBe(true);
  });
});
