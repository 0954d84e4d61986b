import { classifySendAnswer } from '../src/channels/telegram';

// Telegram's real answers (core.telegram.org/bots/api and reported payloads) → what the dispatcher does.
describe('sendMessage answer → delivery outcome', () => {
  it('200 ok → delivered with the message id', () => {
    expect(classifySendAnswer({ status: 200, body: { ok: true, result: { message_id: 4711 } } })).toEqual({ kind: 'delivered', providerId: '4711' });
  });

  it('429 → retry after parameters.retry_after seconds', () => {
    const o = classifySendAnswer({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 35', parameters: { retry_after: 35 } },
    });
    expect(o).toEqual({ kind: 'retry', reason: 'Too Many Requests: retry after 35', afterMs: 35_000 });
  });

  it('429 without retry_after still waits', () => {
    const o = classifySendAnswer({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests' } });
    expect(o.kind).toBe('retry');
    expect(o.kind === 'retry' && o.afterMs).toBeGreaterThan(0);
  });

  it.each(['Forbidden: bot was blocked by the user', 'Forbidden: user is deactivated', 'Forbidden: bot was kicked from the group chat'])('403 %s → gone', (description) => {
    expect(classifySendAnswer({ status: 403, body: { ok: false, error_code: 403, description } })).toEqual({ kind: 'gone', reason: description });
  });

  it('400 with migrate_to_chat_id → gone, moved to the supergroup id (as a string)', () => {
    const o = classifySendAnswer({
      status: 400,
      body: { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1001557912345 } },
    });
    expect(o).toEqual({ kind: 'gone', reason: 'Bad Request: group chat was upgraded to a supergroup chat', movedTo: '-1001557912345' });
  });

  it('400 chat not found → gone (retrying cannot bring the chat back)', () => {
    expect(classifySendAnswer({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } }).kind).toBe('gone');
  });

  it("other 400 (can't parse entities, too long) → failed, not retried", () => {
    expect(classifySendAnswer({ status: 400, body: { ok: false, error_code: 400, description: "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3" } }).kind).toBe('failed');
    expect(classifySendAnswer({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message is too long' } }).kind).toBe('failed');
  });

  it.each([500, 502, 503, 504])('%i → retry', (status) => {
    expect(classifySendAnswer({ status, body: { ok: false, error_code: status, description: 'Bad Gateway' } }).kind).toBe('retry');
  });

  it('a non-JSON answer (a proxy page) → retry', () => {
    expect(classifySendAnswer({ status: 502, body: undefined })).toEqual({ kind: 'retry', reason: 'HTTP 502' });
  });

  it('401 (token revoked) → retry: not the message’s fault, not the chat’s', () => {
    expect(classifySendAnswer({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } }).kind).toBe('retry');
  });
});
