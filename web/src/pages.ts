import type { ComponentType } from 'preact';
import { lazyPage } from './components/lazy-page.tsx';
import { notBuilt } from './pages/not-built.tsx';
import { NowPage } from './pages/now.tsx';

/**
 * The dashboard's pages, in navigation order. A page is a path and a component; the navigation, the
 * router and the document title all read this list, so a new page (Kubernetes, Fleet ...) is one
 * entry here. The Now page is the landing page and loads with the shell; a heavier page can be loaded
 * on first visit with a dynamic import behind its entry.
 */
export interface Page {
  path: string;
  label: string;
  component: ComponentType;
}

export const PAGES: Page[] = [
  { path: '/', label: 'Now', component: NowPage },
  {
    path: '/home',
    label: 'Home',
    component: lazyPage('Home', () => import('./pages/home.tsx').then((m) => m.HomePage)),
  },
  {
    path: '/loads',
    label: 'Loads',
    component: lazyPage('Loads', () => import('./pages/loads.tsx').then((m) => m.LoadsPage)),
  },
  {
    path: '/queue',
    label: 'Queue',
    component: lazyPage('Queue', () => import('./pages/queue.tsx').then((m) => m.QueuePage)),
  },
  {
    path: '/savings',
    label: 'Savings',
    component: lazyPage('Savings', () => import('./pages/savings.tsx').then((m) => m.SavingsPage)),
  },
  {
    path: '/cluster',
    label: 'Cluster',
    component: lazyPage('Cluster', () => import('./pages/cluster.tsx').then((m) => m.ClusterPage)),
  },
  {
    path: '/settings',
    label: 'Settings',
    component: lazyPage('Settings', () => import('./pages/settings.tsx').then((m) => m.SettingsPage)),
  },
];

const NOT_FOUND: Page = {
  path: '',
  label: 'Not found',
  component: notBuilt('No such page', 'The navigation above lists the pages there are.'),
};

/** The page a path shows: its own, or the page it lies under (`/loads/abc` is Loads). */
export function pageFor(path: string): Page {
  const clean = path.replace(/\/+$/, '') || '/';
  return (
    PAGES.find((p) => p.path === clean) ??
    PAGES.find((p) => p.path !== '/' && clean.startsWith(`${p.path}/`)) ??
    NOT_FOUND
  );
}
