import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { SignIn } from './components/sign-in.tsx';
import { PAGES, pageFor } from './pages.ts';
import { onLinkClick, useLocation } from './router.ts';
import { clientFor, type Session, SessionContext, storedToken, storeToken } from './session.ts';

/**
 * The shell: a skip link, the navigation (from the page list), and the current page, or the sign-in box
 * when the server refused to answer without a (valid) token.
 */
export function App() {
  const [token, setToken] = useState(storedToken);
  /** null: no sign-in needed; '' : needed, nothing to say; text: why the last token was refused */
  const [signIn, setSignIn] = useState<string | null>(null);
  const { path } = useLocation();
  const page = pageFor(path);

  const session = useMemo<Session>(() => {
    const use = (next: string | undefined) => {
      storeToken(next);
      setToken(next);
    };
    return {
      client: clientFor(token),
      token,
      needToken(message) {
        // a refused token is dropped: the box asks for another
        if (token) use(undefined);
        setSignIn(token ? message : '');
      },
      signIn(next) {
        use(next);
        setSignIn(null);
      },
      signOut() {
        use(undefined);
        setSignIn(null);
      },
    };
  }, [token]);

  // links anywhere in the page go through the router
  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);

  // after a move to another page, reading goes on at its top (the first render keeps the browser's focus)
  const moved = useRef(false);
  useEffect(() => {
    if (moved.current) document.getElementById('main')?.focus();
    moved.current = true;
  }, [page]);

  useEffect(() => {
    document.title = page.path === '/' ? 'gridshift' : `${page.label} · gridshift`;
  }, [page]);

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="shell">
        <a class="brand" href="/">
          gridshift
        </a>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={p.path} aria-current={p === page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {token && (
          <button type="button" class="sign-out" onClick={session.signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {signIn !== null ? <SignIn message={signIn || null} onToken={session.signIn} /> : <page.component />}
      </main>
    </SessionContext.Provider>
  );
}
