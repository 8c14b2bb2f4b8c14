import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  GridshiftClient,
  ListLoadsQuery,
  Load,
  LoadAccounting,
  LoadState,
} from '../../../src/client/index.ts';
import { LiveLine } from '../components/live-line.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { timeIn, zoneTimeName } from '../format.ts';
import { useLiveEvents } from '../live.ts';
import { LOCAL_TIME_ZONE } from '../local-time.ts';
import { navigate, useLocation } from '../router.ts';
import { useSession } from '../session.ts';
import { useApiRead } from '../use-read.ts';
import { awaitsAccounting, useAccountingFollowUp } from './loads-follow-up.ts';
import { loadZone, mass, savingsText } from './loads-format.ts';

/**
 * The loads, newest first, a page at a time (GET /v1/loads and its cursor), filtered by state, zone and
 * tag (kept in the address). What a load emitted is read lazily for the loads that ran (their accounting
 * is in GET /v1/loads/{id}). The server's load events make the page read again, without a reload.
 */

/** loads on a page, unless the address asks for another number (`?limit=50`, at most 200) */
const PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;
const SETTLE_MS = 250;
/** the details (with the accounting) of the loads that ran are read this many at a time */
const DETAILS_AT_ONCE = 6;
const STATES: LoadState[] = ['planned', 'waiting', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];

interface Filters {
  state: string;
  zone: string;
  tag: string;
  limit: number;
}

function filtersOf(query: URLSearchParams): Filters {
  const limit = Number(query.get('limit'));
  return {
    state: query.get('state') ?? '',
    zone: query.get('zone') ?? '',
    tag: query.get('tag') ?? '',
    limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_PAGE_SIZE) : PAGE_SIZE,
  };
}

function listQuery(f: Filters, cursor: string | undefined): ListLoadsQuery {
  return {
    limit: f.limit,
    ...(f.state ? { state: f.state as LoadState } : {}),
    ...(f.zone ? { zone: f.zone } : {}),
    ...(f.tag ? { tag: f.tag } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

/** What the loads that ran emitted and saved: in each one's detail, read a few at a time. */
async function readAccounting(
  client: GridshiftClient,
  loads: Load[],
  signal: AbortSignal,
  onFound: (found: Record<string, LoadAccounting | null>) => void,
): Promise<void> {
  const ran = loads.filter((l) => l.startedAt !== null);
  for (let i = 0; i < ran.length; i += DETAILS_AT_ONCE) {
    const details = await Promise.all(
      ran.slice(i, i + DETAILS_AT_ONCE).map((l) => client.loads.get(l.id, { signal }).catch(() => null)),
    );
    if (signal.aborted) return;
    onFound(Object.fromEntries(details.flatMap((d) => (d ? [[d.load.id, d.accounting]] : []))));
  }
}

export function LoadList() {
  const session = useSession();
  const { query } = useLocation();
  const filters = filtersOf(query);
  const key = `${filters.state}|${filters.zone}|${filters.tag}|${filters.limit}`;
  /** the cursors of the pages before this one (the first page has none) */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [accounting, setAccounting] = useState<Record<string, LoadAccounting | null>>({});
  const cursor = cursors[cursors.length - 1];

  // new filters start again at the first page
  useEffect(() => setCursors([undefined]), [key]);

  const {
    data: page,
    trouble,
    read,
  } = useApiRead(
    async (client, signal) => {
      const query = listQuery(filtersOf(new URLSearchParams(location.search)), cursor);
      const p = await client.loads.list(query, { signal });
      return { loads: p.loads, next: p.nextCursor, at: new Date().toISOString() };
    },
    [cursor, key],
  );

  useEffect(() => {
    if (!page) return;
    const abort = new AbortController();
    // what was read before stays shown until its new value is in
    void readAccounting(session.client, page.loads, abort.signal, (found) =>
      setAccounting((known) => ({ ...known, ...found })),
    );
    return () => abort.abort();
  }, [page]);

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useAccountingFollowUp(page?.loads.some((l) => awaitsAccounting(l, accounting[l.id])) ?? false, read);
  const live = useLiveEvents(session.client, (event) => {
    if (event && event.type !== 'load.state' && event.type !== 'load.planned') return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => () => clearTimeout(settle.current), []);

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Loads</h1>
        <a class="button-link" href="/loads/new">
          Submit a load
        </a>
      </div>
      <FilterForm key={key} filters={filters} />
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      {!page && !trouble && <TableSkeleton />}
      {page && <LoadTable loads={page.loads} accounting={accounting} />}
      {page && (
        <nav class="pager" aria-label="Pages of loads">
          <button
            type="button"
            disabled={cursors.length < 2}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            Newer
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            disabled={!page.next}
            onClick={() => page.next && setCursors([...cursors, page.next])}
          >
            Older
          </button>
        </nav>
      )}
      {page && <LiveLine state={live} at={page.at} />}
    </section>
  );
}

/** Uncontrolled fields, made anew (by key) when the address's filters change. */
function FilterForm({ filters }: { filters: Filters }) {
  const apply = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const name of ['state', 'zone', 'tag']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) params.set(name, value);
    }
    if (filters.limit !== PAGE_SIZE) params.set('limit', String(filters.limit));
    const search = params.toString();
    navigate(`/loads${search ? `?${search}` : ''}`, { replace: true });
  };
  return (
    <form
      class="load-filters"
      aria-label="Filter the loads"
      onSubmit={(event) => {
        event.preventDefault();
        apply(event.currentTarget);
      }}
    >
      <div>
        <label for="filter-state">State</label>
        <select
          id="filter-state"
          name="state"
          defaultValue={filters.state}
          onChange={(event) => apply((event.currentTarget as HTMLSelectElement).form!)}
        >
          <option value="">any</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="filter-zone">Zone</label>
        <input
          id="filter-zone"
          name="zone"
          type="text"
          defaultValue={filters.zone}
          placeholder="DE, eu-west-1 …"
        />
      </div>
      <div>
        <label for="filter-tag">Tag</label>
        <input id="filter-tag" name="tag" type="text" defaultValue={filters.tag} />
      </div>
      <button type="submit">Filter</button>
    </form>
  );
}

function TableSkeleton() {
  return (
    <div aria-busy="true" data-testid="loads-skeleton">
      <p class="skeleton">Reading the loads…</p>
      <div class="skeleton-rows" aria-hidden="true">
        <span />
        <span />
        <span />
      </div>
    </div>
  );
}

function LoadTable(props: { loads: Load[]; accounting: Record<string, LoadAccounting | null> }) {
  if (props.loads.length === 0)
    return (
      <p data-testid="no-loads">
        No load matches. <a href="/loads/new">Submit one</a>, or change the filters.
      </p>
    );
  const tz = LOCAL_TIME_ZONE;
  return (
    <table class="loads-table" data-testid="loads-table">
      <caption>Loads, newest first; times in {zoneTimeName(tz)}; emissions in CO2eq</caption>
      <thead>
        <tr>
          <th scope="col">Load</th>
          <th scope="col">State</th>
          <th scope="col">Zone</th>
          <th scope="col">Planned start</th>
          <th scope="col">Expected</th>
          <th scope="col">Actual</th>
          <th scope="col">Savings</th>
        </tr>
      </thead>
      <tbody>
        {props.loads.map((load) => {
          const ran = load.startedAt !== null;
          const a = props.accounting[load.id];
          return (
            <tr key={load.id} data-load-id={load.id}>
              <th scope="row" data-label="Load">
                <a href={`/loads/${encodeURIComponent(load.id)}`}>{load.name}</a>
                {load.tags.length > 0 && <span class="tags"> {load.tags.join(', ')}</span>}
              </th>
              <td data-label="State">
                <span class={`state state-${load.state}`} data-testid="load-state">
                  {load.state}
                </span>
              </td>
              <td data-label="Zone">{loadZone(load)}</td>
              <td data-label="Planned start">
                {load.plannedStart ? timeIn(load.plannedStart, tz, true) : '–'}
              </td>
              <td data-label="Expected">{mass(load.plan?.expectedEmissionsG)}</td>
              <td data-label="Actual">{!ran ? '–' : a === undefined ? '…' : mass(a?.emissionsG)}</td>
              <td data-label="Savings">{savingsText(load, a)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
