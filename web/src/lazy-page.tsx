import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A page whose code is fetched on its first visit (a dynamic import), so that the first page a browser
 * opens carries only its own code. Until it arrives the page says so; if it cannot be fetched (the
 * server went away, a new build replaced the old files) it says that, plainly.
 */
export function lazyPage(title: string, load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  let pending: Promise<ComponentType> | null = null;
  return function LazyPage() {
    const [, setReady] = useState(false);
    const [failure, setFailure] = useState<string | null>(null);
    useEffect(() => {
      if (loaded) return;
      pending ??= load();
      pending.then(
        (component) => {
          loaded = component;
          setReady(true);
        },
        (err: unknown) => {
          pending = null;
          setFailure(err instanceof Error ? err.message : String(err));
        },
      );
    }, []);
    if (loaded) {
      const Page = loaded;
      return <Page />;
    }
    return (
      <section aria-labelledby="page-title" aria-busy={!failure}>
        <h1 id="page-title">{title}</h1>
        {failure ? (
          <p class="problem" role="alert">
            This page could not be loaded ({failure}). Reload to try again.
          </p>
        ) : (
          <p class="skeleton">Loading the page…</p>
        )}
      </section>
    );
  };
}
