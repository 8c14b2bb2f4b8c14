import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Trouble, troubleOf } from '../session.ts';
import { TroubleNotice } from './trouble-notice.tsx';

/**
 * A page whose code is loaded on its first visit (a dynamic import, its own chunk), so that the landing
 * page's JavaScript stays small. Until the code is there it shows the page's title and a skeleton.
 */
export function lazyPage(title: string, load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyPage() {
    const [page, setPage] = useState<ComponentType | null>(() => loaded);
    const [trouble, setTrouble] = useState<Trouble | null>(null);
    const [tries, setTries] = useState(0);
    useEffect(() => {
      if (loaded) return;
      let gone = false;
      load().then(
        (component) => {
          loaded = component;
          if (!gone) setPage(() => component);
        },
        (err) => !gone && setTrouble(troubleOf(err)),
      );
      return () => {
        gone = true;
      };
    }, [tries]);
    if (page) {
      const Page = page;
      return <Page />;
    }
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <h1 id="page-title">{title}</h1>
        {trouble ? (
          <TroubleNotice
            trouble={trouble}
            onRetry={() => {
              setTrouble(null);
              setTries(tries + 1);
            }}
          />
        ) : (
          <p class="skeleton">Loading the page…</p>
        )}
      </section>
    );
  };
}
