import { decide, defaultMode, modeFor } from '../src/preferences';

describe('preferences', () => {
  it('defaults: failures and billing on everywhere, fills on in chat, order sent silent in chat and off by email, webhooks get all', () => {
    expect(defaultMode('order.failed', 'email')).toBe('on');
    expect(defaultMode('payment.failed', 'telegram')).toBe('on');
    expect(defaultMode('subscription.activated', 'email')).toBe('on');
    expect(defaultMode('order.filled', 'telegram')).toBe('on');
    expect(defaultMode('order.filled', 'email')).toBe('off');
    expect(defaultMode('order.submitted', 'telegram')).toBe('silent');
    expect(defaultMode('order.submitted', 'email')).toBe('off');
    expect(defaultMode('order.submitted', 'webhook')).toBe('on');
  });

  it('a user’s own value wins over the default', () => {
    expect(modeFor({ 'order.filled|email': 'on' }, 'order.filled', 'email')).toEqual({ mode: 'on', isDefault: false });
    expect(modeFor({}, 'order.filled', 'email')).toEqual({ mode: 'off', isDefault: true });
  });

  it('decides per mode, failures_only letting failures through', () => {
    expect(decide('on', false)).toEqual({ send: true, silent: false });
    expect(decide('silent', true)).toEqual({ send: true, silent: true });
    expect(decide('off', true)).toEqual({ send: false });
    expect(decide('failures_only', false)).toEqual({ send: false });
    expect(decide('failures_only', true)).toEqual({ send: true, silent: false });
  });
});
