/** Paths under /app, with the History API (the fragment carries the sign-in token). */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/app';

export function currentRoute(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p.replace(/\/+$/, '') || '/';
}

const listeners = new Set<() => void>();
export function navigate(to: string): void {
  history.pushState(null, '', BASE + to + (to.includes('?') ? '' : ''));
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

export function useRoute(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: currentRoute(), search: new URLSearchParams(location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A same-app link: a real <a href> (opens in a new tab, readable by screen readers), routed here on a plain click. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href') ?? '';
  if (!href.startsWith(BASE)) return;
  e.preventDefault();
  navigate(href.slice(BASE.length) || '/');
}
