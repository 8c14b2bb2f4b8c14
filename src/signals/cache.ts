import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Series } from '../core/series.ts';
import { MINUTE_MS } from '../core/time.ts';
import type { SignalProvider, SignalRequest } from './provider.ts';
import { dayAheadFetchEndMs, dayAheadFreshness } from './publication.ts';

/**
 * Cache of provider answers keyed by (source, zone, metric, range bucket). Each source's answers stay
 * fresh for its TTL (the provider's `ttlMs`, or a configured override). Day-ahead prices (a provider with a
 * `publication`) stay fresh until the next daily publication instead, within the TTL, and answer later
 * ranges too while nothing newer can exist; an answer that lacks part of what should be published by then
 * (a late auction) is asked again soon (see publication.ts). Identical requests in flight share one fetch.
 * All freshness decisions use the request's `nowMs`, so tests and simulations control the clock.
 */

export interface SignalCacheOptions {
  /** time to live per source name, overriding the provider's own `ttlMs`; 0 turns caching off for it */
  ttlMs?: Partial<Record<string, number>>;
  /** requested ranges are widened to whole buckets of this many minutes, so that a sliding window reuses answers; default 60 */
  bucketMin?: number;
  /** JSON file to persist entries to (read at creation, written after each new answer) */
  file?: string;
  /** most entries kept; the ones expiring first are dropped; default 500 */
  maxEntries?: number;
}

export interface CacheStats {
  /** answered from a fresh entry */
  hits: number;
  /** fetched from the provider */
  misses: number;
  /** joined a fetch already in flight */
  shared: number;
}

/** Who a cached answer came from: `name` selects the configured TTL, `id` tells apart instances with different options. */
export interface CacheSource {
  name?: string;
  id?: string;
}

export interface SignalCache {
  /** The provider's answer for the request: from the cache while fresh, else fetched (and stored). Treat the series as read-only. */
  fetch(provider: SignalProvider, request: SignalRequest, source?: CacheSource): Promise<Series[]>;
  /** A fresh cached answer for the request, without fetching; undefined when there is none. */
  peek(provider: SignalProvider, request: SignalRequest, source?: CacheSource): Series[] | undefined;
  /** The time to live that applies to a source. */
  ttlFor(provider: SignalProvider, name?: string): number;
  readonly stats: CacheStats;
  readonly size: number;
  clear(): void;
}

interface Entry {
  scope: string;
  fromMs: number;
  toMs: number;
  /** the request's nowMs when fetched: an entry is never used at an earlier time (replays go back in time) */
  fetchedAtMs: number;
  expiresAtMs: number;
  /** day-ahead prices holding everything published: also answers ranges ending later, until it expires */
  openEnded?: boolean;
  series: Series[];
}

interface PersistedFile {
  version: 1;
  entries: Entry[];
}

export function createSignalCache(options: SignalCacheOptions = {}): SignalCache {
  const bucketMs = (options.bucketMin ?? 60) * MINUTE_MS;
  const maxEntries = options.maxEntries ?? 500;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Series[]>>();
  const stats: CacheStats = { hits: 0, misses: 0, shared: 0 };
  if (options.file) for (const e of readPersisted(options.file)) entries.set(entryKey(e), e);

  const ttlFor = (provider: SignalProvider, name = provider.name): number => {
    const ttl = options.ttlMs?.[name] ?? provider.ttlMs;
    return Number.isFinite(ttl) && ttl > 0 ? ttl : 0;
  };

  const store = (key: string, entry: Entry, nowMs: number) => {
    entries.set(key, entry);
    for (const [k, e] of entries) if (e.expiresAtMs <= nowMs) entries.delete(k);
    if (entries.size > maxEntries) {
      const byExpiry = [...entries].sort((a, b) => a[1].expiresAtMs - b[1].expiresAtMs);
      for (const [k] of byExpiry.slice(0, entries.size - maxEntries)) entries.delete(k);
    }
    if (options.file) writePersisted(options.file, [...entries.values()]);
  };

  const scopeOf = (provider: SignalProvider, request: SignalRequest, source: CacheSource) =>
    `${source.id ?? source.name ?? provider.name}|${request.zone.code}|${request.metric}`;

  /** A fresh entry covering the requested range, fetched no later than the request's now. */
  const lookup = (
    provider: SignalProvider,
    request: SignalRequest,
    source: CacheSource,
  ): Series[] | undefined => {
    const scope = scopeOf(provider, request, source);
    const { nowMs } = request;
    for (const e of entries.values()) {
      if (
        e.scope === scope &&
        e.expiresAtMs > nowMs &&
        e.fetchedAtMs <= nowMs &&
        e.fromMs <= request.fromMs &&
        (e.toMs >= request.toMs || e.openEnded)
      )
        return e.series;
    }
    return undefined;
  };

  return {
    ttlFor,
    stats,
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
      if (options.file) writePersisted(options.file, []);
    },
    peek(provider, request, source = {}) {
      const found = lookup(provider, request, source);
      if (found) stats.hits++;
      return found;
    },
    async fetch(provider, request, source = {}) {
      const name = source.name ?? provider.name;
      const ttl = ttlFor(provider, name);
      if (ttl === 0) {
        stats.misses++;
        return provider.fetch(request);
      }
      const found = lookup(provider, request, source);
      if (found) {
        stats.hits++;
        return found;
      }
      const scope = scopeOf(provider, request, source);
      const { nowMs } = request;
      const { fromMs, toMs } = rangeToFetch(provider, request, bucketMs);
      const key = entryKey({ scope, fromMs, toMs });
      const pending = inFlight.get(key);
      if (pending) {
        stats.shared++;
        return pending;
      }
      stats.misses++;
      const fetching = provider
        .fetch({ ...request, fromMs, toMs })
        .then((series) => {
          const { expiresAtMs, openEnded } = freshness(provider, ttl, toMs, nowMs, series);
          store(
            key,
            {
              scope,
              fromMs,
              toMs,
              fetchedAtMs: nowMs,
              expiresAtMs,
              ...(openEnded ? { openEnded } : {}),
              series,
            },
            nowMs,
          );
          return series;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, fetching);
      return fetching;
    },
  };
}

/**
 * The range asked of the provider: the request widened to whole buckets, and for day-ahead prices reaching
 * past now, to the end of everything published.
 */
function rangeToFetch(provider: SignalProvider, request: SignalRequest, bucketMs: number) {
  const fromMs = Math.floor(request.fromMs / bucketMs) * bucketMs;
  const toMs = Math.ceil(request.toMs / bucketMs) * bucketMs;
  if (!provider.publication) return { fromMs, toMs };
  return { fromMs, toMs: dayAheadFetchEndMs(provider.publication, toMs, request.nowMs) };
}

/** Until when a new answer is fresh, and whether it answers ranges past its end. */
function freshness(provider: SignalProvider, ttlMs: number, toMs: number, nowMs: number, series: Series[]) {
  if (!provider.publication) return { expiresAtMs: nowMs + ttlMs, openEnded: false };
  return dayAheadFreshness(provider.publication, {
    fetchedAtMs: nowMs,
    toMs,
    dataEndMs: valuesEndMs(series),
    ttlMs,
  });
}

/** Where the valued points of an answer end (the end of the last point with a value); -Infinity when none has one. */
function valuesEndMs(series: Series[]): number {
  let end = Number.NEGATIVE_INFINITY;
  for (const x of series) {
    const pts = x.points;
    for (let i = pts.length - 1; i >= 0; i--) {
      if (!Number.isFinite(pts[i].value)) continue;
      end = Math.max(end, i + 1 < pts.length ? pts[i + 1].start : pts[i].start + x.resolutionMin * MINUTE_MS);
      break;
    }
  }
  return end;
}

function entryKey(e: Pick<Entry, 'scope' | 'fromMs' | 'toMs'>): string {
  return `${e.scope}|${e.fromMs}|${e.toMs}`;
}

/** A missing or unreadable cache file is an empty cache: the cache only ever saves work. */
function readPersisted(file: string): Entry[] {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as PersistedFile;
    if (data?.version !== 1 || !Array.isArray(data.entries)) return [];
    const valid = data.entries.filter(
      (e) =>
        typeof e?.scope === 'string' &&
        Number.isFinite(e.fromMs) &&
        Number.isFinite(e.toMs) &&
        Number.isFinite(e.fetchedAtMs) &&
        Number.isFinite(e.expiresAtMs) &&
        Array.isArray(e.series) &&
        e.series.every((x) => Array.isArray(x?.points)),
    );
    // JSON has no NaN: missing values come back as null
    for (const e of valid)
      for (const x of e.series) for (const p of x.points) p.value = p.value === null ? Number.NaN : p.value;
    return valid;
  } catch {
    return [];
  }
}

/** Written to a temporary file and renamed, so that a concurrent reader never sees half a file. */
function writePersisted(file: string, list: Entry[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: list } satisfies PersistedFile));
    renameSync(tmp, file);
  } catch {
    // a read-only or full disk must not break planning; the in-memory cache still works
  }
}
