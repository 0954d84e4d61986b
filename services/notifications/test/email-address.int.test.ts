import { Code } from '@connectrpc/connect';
import { stackBillingClient, stackNotificationsClient, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { randomBytes } from 'node:crypto';

// GetEmailAddress on the real service, as the settings page reads it.

jest.setTimeout(180_000);

describe('GetEmailAddress', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness({ notifications: true });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers the address set last; empty for a user it never heard of', async () => {
    const notifications = stackNotificationsClient(h.stack, { timeoutMs: 10_000 });
    const user = await stackBillingClient(h.stack, { timeoutMs: 10_000 }).createUser({ email: `addr-${randomBytes(5).toString('hex')}@example.com` });
    await notifications.setEmailAddress({ userId: user.id, email: 'first@example.com' });
    expect(await notifications.getEmailAddress({ userId: user.id })).toMatchObject({ email: 'first@example.com', gone: false });
    await notifications.setEmailAddress({ userId: user.id, email: 'alerts@example.com' });
    expect(await notifications.getEmailAddress({ userId: user.id })).toMatchObject({ email: 'alerts@example.com', gone: false });
    expect(await notifications.getEmailAddress({ userId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ email: '', gone: false });
    await expect(notifications.getEmailAddress({ userId: 'nope' })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});
