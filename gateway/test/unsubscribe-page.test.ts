import { confirmPage, donePage, looksLikeUnsubscribeToken } from '../src/routes/unsubscribe-page';

describe('unsubscribe pages', () => {
  it('accept only the token shape notifications signs', () => {
    expect(looksLikeUnsubscribeToken('eyJ1IjoiYSJ9.c2ln_-')).toBe(true);
    for (const bad of [undefined, '', 'abc', 'a.b.c', 'a.b<script>', ['a.b'], `${'a'.repeat(1100)}.b`]) expect(looksLikeUnsubscribeToken(bad)).toBe(false);
  });
  it('the confirm page posts the one-click body back to the same link', () => {
    const html = confirmPage('abc.def');
    expect(html).toContain('<form method="post" action="?token=abc.def">');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(html).not.toContain('<script');
  });
  it('escapes the event type', () => {
    expect(donePage('<b>')).toContain('"&lt;b&gt;"');
    expect(donePage('*')).toContain('any notification');
  });
});
