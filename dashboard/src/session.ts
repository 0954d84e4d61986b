/**
 * The sign-in token. It arrives in the URL fragment (`/app/#token=<jwt>`), which browsers
 * never send to a server nor write to its logs; it is kept in sessionStorage (gone when the
 * tab closes) and removed from the address bar at once, so it is not bookmarked or shared.
 */
const KEY = 'tbot.token';

export function takeTokenFromFragment(loc: Location = location, hist: History = history): void {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  hist.replaceState(hist.state, '', loc.pathname + loc.search);
}

export const currentToken = (): string | null => sessionStorage.getItem(KEY);
export const signOut = (): void => sessionStorage.removeItem(KEY);
