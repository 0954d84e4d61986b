import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized, type Me } from './api';
import { ErrorNote, Link } from './components';
import { currentToken, signOut } from './session';
import { useRoute } from './router';
import { useApi } from './use-api';
import type { ComponentType } from 'preact';
import { Overview } from './pages/overview';
import { SignalDetailPage, SignalsPage } from './pages/signals';

/**
 * Pages other than the overview and signals (the ones opened first) are loaded when opened:
 * the first page parses less JavaScript.
 */
function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | undefined>(() => loaded);
    useEffect(() => {
      if (!Page) void load().then((c) => setPage(() => (loaded = c)));
    }, []);
    return Page ? <Page {...props} /> : <p class="muted">Loading…</p>;
  };
}
const TradesPage = lazyPage(() => import('./pages/trades').then((m) => m.TradesPage));
const PositionsPage = lazyPage(() => import('./pages/positions').then((m) => m.PositionsPage));
const SettingsPage = lazyPage(() => import('./pages/settings').then((m) => m.SettingsPage));
const BillingPage = lazyPage(() => import('./pages/billing').then((m) => m.BillingPage));
const OpsPage = lazyPage(() => import('./pages/ops').then((m) => m.OpsPage));

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/signals', 'Signals'],
  ['/trades', 'Trades'],
  ['/positions', 'Positions'],
  ['/settings', 'Settings'],
  ['/billing', 'Billing'],
];

type Session = 'signed-in' | 'expired' | 'signed-out';

export function App() {
  const [session, setSession] = useState<Session>(currentToken() ? 'signed-in' : 'signed-out');
  useEffect(() => whenUnauthorized(() => setSession('expired')), []);
  if (session !== 'signed-in') return <SignedOut reason={session} />;
  return (
    <Shell
      onSignOut={() => {
        signOut();
        setSession('signed-out');
      }}
    />
  );
}

function SignedOut({ reason }: { reason: 'expired' | 'signed-out' }) {
  return (
    <main id="main" class="signin">
      <h1>{reason === 'expired' ? 'Sign in again' : 'Signed out'}</h1>
      <p>
        {reason === 'expired'
          ? 'Your session has ended or its link is no longer valid. Open a new sign-in link to continue.'
          : 'Open your sign-in link to see your dashboard. Running locally, `npm start` prints one.'}
      </p>
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const me = useApi<Me>('/me');
  const { path } = useRoute();
  const nav = me.data?.operator ? [...NAV, ['/ops', 'Operator'] as [string, string]] : NAV;
  const section = '/' + (path.split('/')[1] ?? '');
  useEffect(() => {
    const label = nav.find(([to]) => to === section)?.[1] ?? 'Dashboard';
    document.title = `${label} · Trading bot`;
  }, [section, nav.length]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Trading bot</span>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li>
                <Link to={to} aria-current={section === to ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted small email" title={me.data?.email}>
            {me.data?.email ?? ''}
          </span>
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={me.error} />
        <Page path={path} me={me.data} reloadMe={me.reload} />
      </main>
    </>
  );
}

function Page({ path, me, reloadMe }: { path: string; me: Me | undefined; reloadMe: () => void }) {
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case undefined:
      return <Overview me={me} />;
    case 'signals':
      return parts[1] ? <SignalDetailPage id={decodeURIComponent(parts[1])} /> : <SignalsPage />;
    case 'trades':
      return <TradesPage />;
    case 'positions':
      return <PositionsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'billing':
      return <BillingPage me={me} reloadMe={reloadMe} />;
    case 'ops':
      return me?.operator ? <OpsPage /> : <NotFound what="This page is for operators." />;
    default:
      return <NotFound what="There is no such page." />;
  }
}

function NotFound({ what }: { what: string }) {
  return (
    <>
      <h1>Not found</h1>
      <p>
        {what} <Link to="/">Back to the overview</Link>.
      </p>
    </>
  );
}
