import * as net from 'node:net';
import { createLogger } from '@tbot/common';
import { freePort } from '@tbot/local-stack';
import { startMailpit, type Mailpit } from '@tbot/local-stack/dist/testing';
import type { Attempt, DeliveryOutcome, Destination, Notification } from '../src/channel';
import { EmailChannel, type EmailChannelOptions } from '../src/channels/email';
import { messageIdFor } from '../src/channels/email/email-headers';

/** The email channel against a real SMTP server (mailpit), read back through mailpit's HTTP API. */

const FROM = '"Trading Bot" <alerts@bot.example.com>';
const unsubscribeUrl = (userId: string, type: string) => `https://app.example.com/unsubscribe?u=${encodeURIComponent(userId)}&t=${encodeURIComponent(type)}`;

function captureLogs() {
  const lines: string[] = [];
  return { lines, logger: createLogger('notifications', 'debug', { write: (line: string) => void lines.push(line) }) };
}

const channels: EmailChannel[] = [];
function emailChannel(options: Partial<EmailChannelOptions> & { smtpUrl: string }) {
  const channel = new EmailChannel({ from: FROM, unsubscribeUrl, logger: captureLogs().logger, timeoutMs: 5_000, ...options });
  channels.push(channel);
  return channel;
}

let seq = 0;
function notification(over: Partial<Notification> = {}): Notification {
  seq += 1;
  return {
    eventId: `evt-${seq}`,
    type: 'order.rejected',
    userId: 'user-7',
    occurredAt: new Date(),
    title: `Order rejected: BTC-USDT-SWAP <sell> & "close" #${seq}`,
    text: 'OKX said: 51008 <insufficient margin> & \'balance\'\nSize: 3 contracts',
    data: {},
    silent: false,
    ...over,
  };
}
const to = (address: string): Destination => ({ channel: 'email', address });
const attempt = (deliveryId: string, n = 1): Attempt => ({ deliveryId, attempt: n });

/** A TCP relay to an SMTP port that counts the connections made through it. */
async function countingRelay(targetPort: number) {
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    smtpUrl: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
    close: () => void server.close(),
  };
}

afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
});

describe('email channel → mailpit', () => {
  let mailpit: Mailpit;
  beforeAll(async () => {
    mailpit = await startMailpit();
  });
  afterAll(async () => {
    await mailpit?.stop();
  });
  beforeEach(async () => {
    await mailpit.deleteAllMessages();
  });

  it('delivers subject, text part, escaped HTML part, one-click List-Unsubscribe and the event id', async () => {
    const channel = emailChannel({ smtpUrl: mailpit.smtpUrl });
    const n = notification();
    const outcome = await channel.send(to('trader@example.org'), n, attempt('dlv-a'));
    const [summary] = await mailpit.waitForMessages(1);
    // The provider id is the server's acceptance, naming its own id for the message.
    expect(outcome).toEqual({ kind: 'delivered', providerId: `250 2.0.0 Ok: queued as ${summary!.ID}` });

    const message = await mailpit.getMessage(summary!.ID);
    expect(message.Subject).toBe(n.title);
    expect(message.To).toEqual([{ Name: '', Address: 'trader@example.org' }]);
    expect(message.From).toEqual({ Name: 'Trading Bot', Address: 'alerts@bot.example.com' });
    // mailpit hands the part back with the CRLF line ends it travelled with.
    expect(message.Text.replace(/\r\n/g, '\n')).toContain("OKX said: 51008 <insufficient margin> & 'balance'\nSize: 3 contracts");
    expect(message.HTML).toContain('Order rejected: BTC-USDT-SWAP &lt;sell&gt; &amp; &quot;close&quot;');
    expect(message.HTML).toContain('OKX said: 51008 &lt;insufficient margin&gt; &amp; &#39;balance&#39;<br>');
    expect(message.HTML).not.toContain('<insufficient');

    const expectedUrl = unsubscribeUrl('user-7', 'order.rejected');
    const headers = await mailpit.getHeaders(summary!.ID);
    expect(headers['List-Unsubscribe']).toEqual([`<${expectedUrl}>`]);
    expect(headers['List-Unsubscribe-Post']).toEqual(['List-Unsubscribe=One-Click']);
    expect(headers['X-Notification-Event-Id'] ?? headers['X-Notification-Event-ID']).toEqual([n.eventId]);
    // mailpit's own List-Unsubscribe check finds the link and nothing wrong with it.
    expect(message.ListUnsubscribe).toMatchObject({ Links: [expectedUrl], HeaderPost: 'List-Unsubscribe=One-Click', Errors: '' });
  });

  it('sends every attempt of one delivery with the same Message-ID, and another delivery with another', async () => {
    const channel = emailChannel({ smtpUrl: mailpit.smtpUrl });
    const n = notification();
    const first = await channel.send(to('trader@example.org'), n, attempt('dlv-retried', 1));
    const second = await channel.send(to('trader@example.org'), n, attempt('dlv-retried', 2));
    const other = await channel.send(to('trader@example.org'), n, attempt('dlv-other', 1));
    const messages = await mailpit.waitForMessages(3);
    expect([first.kind, second.kind, other.kind]).toEqual(['delivered', 'delivered', 'delivered']);
    // Three messages arrived, with two distinct Message-IDs: the retried delivery's twice.
    const retried = messageIdFor('dlv-retried', 'bot.example.com');
    expect(messages.map((m) => `<${m.MessageID}>`).sort()).toEqual([messageIdFor('dlv-other', 'bot.example.com'), retried, retried].sort());
  });

  it('sends 20 messages at once through the pool, over at most 3 connections, and all of them arrive', async () => {
    const relay = await countingRelay(mailpit.smtpPort);
    const channel = emailChannel({ smtpUrl: relay.smtpUrl, pool: { maxConnections: 3 } });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => channel.send(to(`trader${i}@example.org`), notification({ title: `Fill ${i}` }), attempt(`dlv-pool-${i}`))),
      );
      expect(outcomes.map((o) => o.kind)).toEqual(Array(20).fill('delivered'));
      expect(relay.connections()).toBeGreaterThanOrEqual(1);
      expect(relay.connections()).toBeLessThanOrEqual(3);
    } finally {
      await channel.close();
      relay.close();
    }
    const messages = await mailpit.waitForMessages(20);
    expect(new Set(messages.map((m) => m.Subject))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `Fill ${i}`)));
    expect(new Set(messages.map((m) => m.To?.[0]?.Address)).size).toBe(20);
  });

  it('refuses an invalid address without connecting', async () => {
    const relay = await countingRelay(mailpit.smtpPort);
    const channel = emailChannel({ smtpUrl: relay.smtpUrl });
    try {
      for (const address of ['not-an-address', 'a@example.org, b@example.org', 'Name <a@example.org>']) {
        expect(await channel.send(to(address), notification(), attempt(`dlv-bad-${address}`))).toEqual({ kind: 'failed', reason: 'not a valid email address' });
      }
      expect(relay.connections()).toBe(0);
    } finally {
      relay.close();
    }
  });

  it('answers retry, not a throw, while the server refuses recipients with 4xx', async () => {
    const channel = emailChannel({ smtpUrl: mailpit.smtpUrl });
    await mailpit.setChaos({ Recipient: { ErrorCode: 451, Probability: 100 } });
    try {
      const outcome = await channel.send(to('trader@example.org'), notification(), attempt('dlv-451'));
      expect(outcome).toEqual({ kind: 'retry', reason: expect.stringContaining('451') });
    } finally {
      await mailpit.setChaos({ Recipient: { ErrorCode: 451, Probability: 0 } });
    }
    // And the same pool delivers once the server accepts again.
    expect((await channel.send(to('trader@example.org'), notification(), attempt('dlv-451'))).kind).toBe('delivered');
  });
});

describe('email channel → mailpit that rejects a recipient', () => {
  let mailpit: Mailpit;
  beforeAll(async () => {
    mailpit = await startMailpit({ allowedRecipients: '@example\\.org$' });
  });
  afterAll(async () => {
    await mailpit?.stop();
  });

  it('maps "550 5.1.0 mailbox unavailable" at RCPT TO to failed, and still delivers to an allowed address', async () => {
    const channel = emailChannel({ smtpUrl: mailpit.smtpUrl });
    const rejected = await channel.send(to('someone@blocked.example.net'), notification(), attempt('dlv-rejected'));
    expect(rejected).toEqual({ kind: 'failed', reason: 'RCPT TO: 550 5.1.0 Requested action not taken: mailbox unavailable' });
    expect((await channel.send(to('trader@example.org'), notification(), attempt('dlv-allowed'))).kind).toBe('delivered');
    const messages = await mailpit.waitForMessages(1);
    expect(messages.map((m) => m.To?.[0]?.Address)).toEqual(['trader@example.org']);
  });
});

describe('email channel with the SMTP server down', () => {
  it('answers retry, not a throw, when nothing listens on the port', async () => {
    const channel = emailChannel({ smtpUrl: `smtp://127.0.0.1:${await freePort()}` });
    const started = Date.now();
    const outcome = await channel.send(to('trader@example.org'), notification(), attempt('dlv-down'));
    expect(outcome).toEqual({ kind: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers retry when the server it was using stops, and delivers again once one is back', async () => {
    const mailpit = await startMailpit();
    try {
      const channel = emailChannel({ smtpUrl: mailpit.smtpUrl });
      expect((await channel.send(to('trader@example.org'), notification(), attempt('dlv-before'))).kind).toBe('delivered');
      await mailpit.stop();
      const outcomes = [await channel.send(to('trader@example.org'), notification(), attempt('dlv-during'))];
      outcomes.push(await channel.send(to('trader@example.org'), notification(), attempt('dlv-during-2')));
      expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry']);

      const back = await startMailpit({ smtpPort: mailpit.smtpPort });
      try {
        expect((await channel.send(to('trader@example.org'), notification(), attempt('dlv-during'))).kind).toBe('delivered');
        expect(await back.waitForMessages(1)).toHaveLength(1);
      } finally {
        await back.stop();
      }
    } finally {
      await mailpit.stop();
    }
  });

  it('answers retry when the server accepts the connection but never greets (timeout)', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const channel = emailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, timeoutMs: 500 });
      const started = Date.now();
      const outcome = await channel.send(to('trader@example.org'), notification(), attempt('dlv-silent'));
      expect(outcome.kind).toBe('retry');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });
});

describe('SMTP credentials', () => {
  const USER = 'mailer-user-7f3a';
  const PASS = 'p4ss-w0rd-that-must-not-leak';
  let mailpit: Mailpit;
  beforeAll(async () => {
    mailpit = await startMailpit({ acceptAnyAuth: true });
  });
  afterAll(async () => {
    await mailpit?.stop();
  });

  const leaks = (texts: string[]) => texts.filter((t) => t.includes(PASS) || t.includes(USER) || t.includes(Buffer.from(`\u0000${USER}\u0000${PASS}`).toString('base64')));

  it('authenticates with them, and never puts them in logs or outcomes, on success or failure', async () => {
    const { lines, logger } = captureLogs();
    const url = new URL(mailpit.smtpUrl);
    url.username = USER;
    url.password = PASS;
    const channel = emailChannel({ smtpUrl: url.href, logger });
    const outcomes: DeliveryOutcome[] = [];

    outcomes.push(await channel.send(to('trader@example.org'), notification(), attempt('dlv-auth-ok')));
    expect(outcomes[0]!.kind).toBe('delivered');
    const [received] = await mailpit.waitForMessages(1);
    expect(received!.Username).toBe(USER); // it really logged in

    await mailpit.setChaos({ Authentication: { ErrorCode: 535, Probability: 100 } });
    try {
      // A fresh channel: the first one's pooled connection is already authenticated.
      const fresh = emailChannel({ smtpUrl: url.href, logger });
      outcomes.push(await fresh.send(to('trader@example.org'), notification(), attempt('dlv-auth-refused')));
      expect(outcomes[1]).toEqual({ kind: 'retry', reason: expect.stringContaining('authentication refused') });
    } finally {
      await mailpit.setChaos({ Authentication: { ErrorCode: 535, Probability: 0 } });
    }

    const down = new URL(`smtp://127.0.0.1:${await freePort()}`);
    down.username = USER;
    down.password = PASS;
    outcomes.push(await emailChannel({ smtpUrl: down.href, logger }).send(to('trader@example.org'), notification(), attempt('dlv-auth-down')));
    expect(outcomes[2]!.kind).toBe('retry');

    await new Promise((r) => setTimeout(r, 50)); // pino writes a turn later
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join('\n')).toContain('smtp://***@127.0.0.1');
    expect(leaks([...lines, ...outcomes.map((o) => JSON.stringify(o))])).toEqual([]);
  });

  it('does not echo them from a URL it cannot use', () => {
    let message = '';
    try {
      new EmailChannel({ smtpUrl: `smtp://${USER}:${PASS}@bad host:25`, from: FROM, unsubscribeUrl, logger: captureLogs().logger });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/SMTP_URL is not a valid URL/);
    expect(leaks([message])).toEqual([]);
  });
});
