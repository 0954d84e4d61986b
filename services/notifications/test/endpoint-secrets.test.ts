import { randomBytes } from 'node:crypto';
import { MasterKeyring, parseMasterKeys } from '@tbot/common';
import { EndpointSecretBox } from '../src/channels/webhook/endpoint-secrets';

const EP = { _id: 'whe_0000000000123456789abc', userId: '0b9e7c1a-3f2d-4e5c-9a8b-7c6d5e4f3a2b' };
const SECRET = 'whsec_' + randomBytes(32).toString('base64');

describe('endpoint secrets at rest', () => {
  const ring = new MasterKeyring([randomBytes(32)]);
  const box = new EndpointSecretBox(ring);

  it('seals and opens back, without the secret in the stored value', () => {
    const sealed = box.seal(EP, SECRET);
    expect(sealed).toMatch(/^v2\.[0-9a-f]{16}\./);
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(box.open(EP, { sealed, createdAt: new Date(), expiresAt: null })).toEqual({ plain: SECRET, current: true });
  });

  it('does not open on another endpoint or for another user (the AAD)', () => {
    const sealed = box.seal(EP, SECRET);
    const stored = { sealed, createdAt: new Date(), expiresAt: null };
    expect(() => box.open({ ...EP, _id: 'whe_0000000000fedcba9876543' }, stored)).toThrow(/^cannot decrypt secret: wrong key, wrong context or tampered data$/);
    expect(() => box.open({ ...EP, userId: '1b9e7c1a-3f2d-4e5c-9a8b-7c6d5e4f3a2b' }, stored)).toThrow(/cannot decrypt secret/);
    expect(() => new EndpointSecretBox(new MasterKeyring([randomBytes(32)])).open(EP, stored)).toThrow(/not configured/);
  });

  it('reads a plaintext secret from before sealing, marked for re-sealing', () => {
    expect(box.open(EP, { secret: SECRET, createdAt: new Date(), expiresAt: null })).toEqual({ plain: SECRET, current: false });
    expect(() => box.open(EP, { secret: 'not-a-secret', createdAt: new Date(), expiresAt: null })).toThrow();
  });

  it('opens under an old key of a new,old ring and says it needs re-sealing', () => {
    const oldKey = randomBytes(32);
    const sealed = new EndpointSecretBox(new MasterKeyring([oldKey])).seal(EP, SECRET);
    const rotated = new EndpointSecretBox(parseMasterKeys(`${randomBytes(32).toString('hex')},${oldKey.toString('hex')}`, 'NOTIFICATIONS_MASTER_KEY'));
    expect(rotated.open(EP, { sealed, createdAt: new Date(), expiresAt: null })).toEqual({ plain: SECRET, current: false });
  });

  it('names the variable, never the value, in a bad key list', () => {
    const bad = 'not-a-key-but-secret-looking-value';
    expect(() => parseMasterKeys(`${randomBytes(32).toString('hex')},${bad}`, 'NOTIFICATIONS_MASTER_KEY')).toThrow(/^NOTIFICATIONS_MASTER_KEY: key 2 of 2 must be 32 bytes, hex or base64$/);
  });
});
