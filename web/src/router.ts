import { useEffect, useState } from 'preact/hooks';

/**
 * Client-side routes on the History API: the server answers every page path with index.html, so a page can
 * be bookmarked and reloaded. Links stay ordinary `<a href>` (middle-click and keyboard work); the shell
 * turns plain clicks on them into `navigate`.
 */

const listeners = new Set<() => void>();

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of [...listeners]) listener();
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

const current = (): Location => ({ path: location.pathname, query: new URLSearchParams(location.search) });

export function useLocation(): Location {
  const [where, setWhere] = useState(current);
  useEffect(() => {
    const update = () => setWhere(current());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return where;
}

/** A click on a same-origin link that the browser would follow in this tab: handled by the router instead. */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  const link = (event.target as Element | null)?.closest('a');
  if (!link || link.target || link.origin !== location.origin || link.hasAttribute('download')) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
}
