import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import {
  createClient,
  GridshiftApiError,
  type GridshiftClient,
  GridshiftConnectionError,
} from '../../src/client/index.ts';

/**
 * Who the dashboard talks to the API as. The token (when the server needs one) is kept in session storage:
 * it lasts as long as the tab and is never written anywhere else. Every page reads through the same typed
 * client that `gridshift/client` ships, so the dashboard and other clients of the API cannot disagree.
 */

const TOKEN_KEY = 'gridshift.token';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the token lasts until the page is left
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled
  }
}

export function clientFor(token: string | undefined): GridshiftClient {
  return createClient({ baseUrl: location.origin, ...(token ? { token } : {}), timeoutMs: 15_000 });
}

export interface Session {
  client: GridshiftClient;
  token: string | undefined;
  /** a read was refused for want of a (valid) token: the shell asks for one */
  needToken(message: string): void;
  signIn(token: string): void;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the app');
  return session;
}

/** What went wrong with a request, in words for the page, and whether it asks for a token. */
export interface Trouble {
  kind: 'unauthorized' | 'forbidden' | 'unreachable' | 'server' | 'other';
  message: string;
}

export function troubleOf(err: unknown): Trouble {
  if (err instanceof GridshiftApiError) {
    const detail = err.problem.detail ? `: ${err.problem.detail}` : '';
    if (err.status === 401) return { kind: 'unauthorized', message: `401 Unauthorized${detail}` };
    if (err.status === 403) return { kind: 'forbidden', message: `403 Forbidden${detail}` };
    const kind = err.status >= 500 ? 'server' : 'other';
    return { kind, message: `${err.status} ${err.problem.title}${detail}` };
  }
  if (err instanceof GridshiftConnectionError)
    return { kind: 'unreachable', message: `The gridshift server does not answer (${err.message}).` };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}
