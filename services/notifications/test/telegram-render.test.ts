import { parseTelegramHtml } from '@tbot/local-stack/dist/testing';
import { escapeHtml, MAX_MESSAGE_LENGTH, renderMessage, truncatePlain } from '../src/channels/telegram';

// What Telegram shows for our HTML, per a parser as strict as Telegram's (the fake's).
function shown(html: string): string {
  const parsed = parseTelegramHtml(html);
  if (!parsed.ok) throw new Error(`Telegram would refuse: ${parsed.error}`);
  return parsed.text;
}

describe('Telegram HTML rendering', () => {
  it.each([
    ['BTC-USDT-SWAP filled at 64,250.5 (+1.2%)!'],
    ['<script>alert(1)</script>'],
    ['a&b &amp; a&lt;b'],
    ['_*[]()~`>#+-=|{}.! markdown specials are plain text in HTML mode'],
    ['emoji 🚀 and "quotes" \'single\''],
  ])('escapes %j so the user sees exactly it', (text) => {
    const { html } = renderMessage({ title: 'Order BTC-USDT-SWAP <filled>', text });
    expect(shown(html)).toBe(`Order BTC-USDT-SWAP <filled>\n${text}`);
    expect(html.startsWith('<b>Order BTC-USDT-SWAP &lt;filled&gt;</b>\n')).toBe(true);
  });

  it('escapes exactly <, > and &, nothing else', () => {
    expect(escapeHtml(`<>&"'_*[]-.`)).toBe(`&lt;&gt;&amp;"'_*[]-.`);
  });

  it('an unescaped tag in the text would have been refused (the check above can fail)', () => {
    expect(parseTelegramHtml('<b>x</b>\n<script>').ok).toBe(false);
    expect(parseTelegramHtml('<b>x').ok).toBe(false);
  });

  it('keeps a long body within 4096 visible characters, ends it with …, keeps the title', () => {
    const { html, visibleLength } = renderMessage({ title: 'Daily report', text: 'x'.repeat(10_000) });
    const text = shown(html);
    expect(text.length).toBe(visibleLength);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(text.length).toBeGreaterThan(MAX_MESSAGE_LENGTH - 5);
    expect(text.startsWith('Daily report\nxxx')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
  });

  it('never cuts inside an entity: a body of & and < still parses after truncation', () => {
    const { html } = renderMessage({ title: 'a&b', text: '&<'.repeat(5000) });
    expect(html.length).toBeGreaterThan(MAX_MESSAGE_LENGTH); // escaped source is longer…
    const text = shown(html); // …but parses, and what is shown fits
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(text).toMatch(/^a&b\n(&<)+&?…$/);
  });

  it('never splits an emoji (surrogate pair) at the cut', () => {
    const cut = truncatePlain('🚀'.repeat(10), 6); // 5 units left before "…": 2 emoji + half
    expect(cut).toBe('🚀🚀…');
    expect(cut.length).toBeLessThanOrEqual(6);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
  });

  it('a runaway title keeps at most a quarter of the room for itself', () => {
    const { html } = renderMessage({ title: 'T'.repeat(5000), text: 'body' });
    const text = shown(html);
    expect(text.endsWith('\nbody')).toBe(true);
    expect(text.indexOf('\n')).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH / 4);
  });

  it('a notification without body is its bold title', () => {
    expect(renderMessage({ title: 'Kill switch on', text: '  ' }).html).toBe('<b>Kill switch on</b>');
  });
});
