// The dashboard's entry: query client, session (sign-in), layout with navigation, and the view
// the URL names.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { Link, match, useLocation } from './app/router';
import { makeQueryClient, SessionProvider, useSession, type SignInProps } from './app/session';
import { CertificatesView } from './views/certificates';
import { CertificateDetail } from './views/certificate-detail';
import { ConnectorsView } from './views/connectors';
import { AgentDetail, FleetView } from './views/fleet';
import { GroupsView } from './views/groups';
import { JobsView } from './views/jobs';
import { Overview } from './views/overview';
import { PoliciesView } from './views/policies';
import { AuditView, NotificationsView } from './views/records';
import './styles.css';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/certificates', 'Certificates'],
  ['/fleet', 'Fleet'],
  ['/groups', 'Groups'],
  ['/jobs', 'Jobs'],
  ['/policies', 'Policies'],
  ['/issuers', 'Issuers'],
  ['/targets', 'Targets'],
  ['/notifications', 'Notifications'],
  ['/audit', 'Audit'],
];

function View({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Overview />;
  if ((m = match('/certificates/:id', path))) return <CertificateDetail key={m.id} id={m.id} />;
  if (path === '/certificates') return <CertificatesView />;
  if ((m = match('/fleet/:id', path))) return <AgentDetail key={m.id} id={m.id} />;
  if (path === '/fleet') return <FleetView />;
  if (path === '/groups') return <GroupsView />;
  if (path === '/jobs') return <JobsView />;
  if (path === '/policies') return <PoliciesView />;
  if (path === '/issuers') return <ConnectorsView key="issuers" kind="issuers" />;
  if (path === '/targets') return <ConnectorsView key="targets" kind="targets" />;
  if (path === '/notifications') return <NotificationsView />;
  if (path === '/audit') return <AuditView />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at {path}. <Link to="/">Overview</Link>
      </p>
    </section>
  );
}

type Theme = 'dark' | 'light';

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('certctl.theme') === 'light' ? 'light' : 'dark'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('certctl.theme', theme);
  }, [theme]);
  return [theme, () => setTheme(theme === 'dark' ? 'light' : 'dark')];
}

function Shell({ theme, toggleTheme }: { theme: Theme; toggleTheme: () => void }) {
  const { path } = useLocation();
  const { me, live, signOut } = useSession();
  const section = '/' + (path.split('/')[1] ?? '');
  useEffect(() => {
    const label = NAV.find(([p]) => p === section)?.[1] ?? 'certctl';
    document.title = `${label} · certctl`;
  }, [section]);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">certctl</span>
        <span className={`live live-${live}`} role="status" title="Live updates from the server's event stream">
          {live === 'live' ? 'Live' : live === 'unauthorized' ? 'No live updates' : live === 'retrying' ? 'Reconnecting…' : 'Connecting…'}
        </span>
        <span className="who">
          {me.name} · {me.role}
        </span>
        <button type="button" className="ghost" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? 'Light' : 'Dark'} theme
        </button>
        <button type="button" className="ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <nav className="side" aria-label="Main">
        <ul>
          {NAV.map(([p, label]) => (
            <li key={p}>
              <Link to={p} aria-current={p === section ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <View path={path} />
      </main>
    </div>
  );
}

function SignIn({ onKey, checking, message }: SignInProps) {
  const [key, setKey] = useState('');
  return (
    <main className="signin">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
        aria-labelledby="signin-title"
      >
        <h1 id="signin-title">Sign in to certctl</h1>
        <p className="muted">Paste an API key (for example the admin key the server wrote to its data directory as admin.key). It is kept in this tab's session storage only.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" spellCheck={false} value={key} onChange={(e) => setKey(e.target.value)} autoFocus aria-describedby={message ? 'signin-error' : undefined} />
        {message && (
          <p id="signin-error" className="error-note" role="alert">
            {message}
          </p>
        )}
        <button type="submit" className="primary" disabled={checking || !key.trim()}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function App() {
  const [theme, toggleTheme] = useTheme();
  return (
    <SessionProvider signIn={(p) => <SignIn {...p} />}>
      <Shell theme={theme} toggleTheme={toggleTheme} />
    </SessionProvider>
  );
}

const qc = makeQueryClient();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={qc}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
