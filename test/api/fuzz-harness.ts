import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { createToken } from '../../src/store/tokens.ts';
import { tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import { scratchDatabase } from '../store/scratch-database.ts';

/**
 * Hostile requests against every route of a live server's /openapi.json, and the checks that hold for each
 * whatever it sends: never a 5xx, a refused request (4xx) changes nothing stored, the heap stays bounded and
 * the server still answers afterwards. Shared by test/api/fuzz.test.ts (a fixed seed, a bounded count) and
 * bench/fuzz.ts (`npm run fuzz`, longer runs); no vitest here, so that the bench can use it.
 */

export type StoreKind = 'embedded' | 'postgres';

export const FUZZ_DATABASE_URL =
  process.env.GRIDSHIFT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The server under test: the real scheduler (no worker, so nothing is dispatched) on a store of its own. */
export interface FuzzTarget {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** an admin token: every route is reachable */
  readonly token: string;
  close(): Promise<void>;
}

/** A store of its own: PGlite in a temporary directory, or a new database on the PostgreSQL server. */
async function privateStore(kind: StoreKind): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (kind === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'gridshift-fuzz-'));
    const store = await openStore({ dataDir: dir });
    return { store, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const database = scratchDatabase('gridshift_fuzz', FUZZ_DATABASE_URL);
  await database.create();
  const store = await openStore({ databaseUrl: database.url, maxConnections: 5 });
  return { store, drop: database.drop };
}

export async function startFuzzTarget(kind: StoreKind): Promise<FuzzTarget> {
  const { store, drop } = await privateStore(kind);
  const registry = tableRegistry(tableSource());
  const queue: Queue = await testQueue(store);
  const scheduler: Scheduler = testScheduler(store, queue, registry);
  const { secret } = await createToken(store, { name: 'fuzz', scopes: ['admin'] });
  const app = await buildServer({
    scheduler,
    registry,
    store,
    logger: false,
    auth: { tokenCacheMs: 3_600_000 },
  });
  return {
    app,
    store,
    token: secret,
    async close() {
      await app.close();
      await scheduler.close();
      await queue.stop({ graceful: false });
      await store.close();
      await drop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The routes, read from /openapi.json

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema as the document has it
type JsonSchema = Record<string, any>;

export interface Operation {
  method: string;
  /** `/v1/loads/{id}` */
  path: string;
  params: { in: 'path' | 'query'; name: string; schema: JsonSchema }[];
  body?: JsonSchema;
}

/** Routes that answer with an endless stream: their checks are elsewhere (test/api/events.test.ts). */
const STREAMS = new Set(['GET /v1/events']);

export async function readOperations(app: FastifyInstance): Promise<Operation[]> {
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const resolve = (schema: JsonSchema | undefined, seen = 0): JsonSchema | undefined => {
    if (!schema || seen > 20) return schema;
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.replace('#/components/schemas/', '');
      return resolve(doc.components.schemas[name], seen + 1);
    }
    const out: JsonSchema = Array.isArray(schema) ? [] : {};
    for (const [k, v] of Object.entries(schema))
      out[k] = v && typeof v === 'object' ? resolve(v as JsonSchema, seen + 1) : v;
    return out;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, JsonSchema>>)) {
    for (const [method, op] of Object.entries(methods)) {
      if (STREAMS.has(`${method.toUpperCase()} ${path}`)) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p: JsonSchema) => ({
          in: p.in,
          name: p.name,
          schema: resolve(p.schema) ?? {},
        })),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------------------
// Hostile values

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Times: far ones (year 1 and 9999, the end of JavaScript time), near ones, and broken ones. */
const times = (nowMs: number) =>
  fc.oneof(
    fc.constantFrom(
      '9999-12-31T00:00:00Z',
      '9999-12-31T23:59:59.999+14:00',
      '0001-01-01T00:00:00Z',
      '1970-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-01-15T25:00:00Z',
      'tomorrow',
      '',
    ),
    fc.integer({ min: -400, max: 400 }).map((d) => iso(nowMs + d * DAY_MS)),
    fc.integer({ min: -48, max: 48 * 7 }).map((h) => iso(nowMs + h * 3_600_000)),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  );

/** Text PostgreSQL cannot store: a NUL or a lone surrogate somewhere in a string. */
const unstorableStrings = fc
  .tuple(
    fc.string({ maxLength: 10 }),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ maxLength: 10 }),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);

const hostileStrings = fc.oneof(
  unstorableStrings,
  fc.constantFrom(
    '',
    ' ',
    'a\u0000b',
    '\u0000',
    'x\ud800',
    '\udc00y',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '-0',
    '0x10',
    'null',
    'undefined',
    'true',
    '[]',
    '{}',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    "'; DROP TABLE loads; --",
    '%00',
    '\u202e\ufeff',
    'DE',
    'XX',
    'eu-west-1',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('x'.repeat(100_000), 'é'.repeat(70_000), '\ud83d\ude00'.repeat(30_000)),
);

const hostileNumbers = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1e308,
    -1e308,
    5e-324,
    -5e-324,
    2 ** 53 + 2,
    -(2 ** 53) - 2,
    1e21,
    2 ** 31,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, hostile leaves included. */
const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileStrings,
    hostileNumbers,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), hostileStrings), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Plausible values for fields by name, so that requests get past the first check and into the handlers. */
const BY_NAME: Record<string, fc.Arbitrary<unknown>> = {
  zone: fc.constantFrom('DE', 'FR', 'GB', 'eu-west-1', 'XX'),
  location: fc.constantFrom('DE', 'FR', 'eastus', 'XX', 'DE,FR'),
  region: fc.constantFrom('eu-west-1', 'westeurope', 'DE'),
  name: fc.constantFrom('backup', 'x', 'nightly backup'),
  objective: fc.constantFrom(
    'carbon',
    'cost',
    'balanced',
    'max_savings',
    'eco',
    'weights:1,1',
    'weights:-1,0',
  ),
  cron: fc.constantFrom('0 1 * * *', '* * * * *', '0 0 31 2 *', 'not cron'),
  timeZone: fc.constantFrom('Europe/Berlin', 'UTC', 'Mars/Olympus'),
  tz: fc.constantFrom('Europe/Berlin', 'UTC', 'Mars/Olympus'),
  command: fc.constantFrom('true', 'echo hi'),
  url: fc.constantFrom(
    'http://127.0.0.1:9/hook',
    'https://example.invalid/x',
    'mqtt://127.0.0.1:1',
    'ftp://x',
  ),
  topic: fc.constantFrom('gridshift/run', 'a/+/b'),
};

const LOAD = { name: 'fuzz', zones: ['DE'], durationMin: 60, powerKw: 1, dispatch: { kind: 'none' } };

/** A valid body per route, which the generated fields change: without it few requests get past the schema. */
const BASES: Record<string, Record<string, unknown>> = {
  'POST /v1/loads': LOAD,
  'POST /v1/loads/preview': LOAD,
  'POST /v1/decide/now': { zone: 'DE' },
  'POST /v1/decide/model-tier': { zone: 'DE' },
  'POST /v1/tokens': { name: 'fuzz', scopes: ['read'] },
  'POST /v1/loads/purge': { olderThanDays: 30 },
};

export interface Pools {
  /** ids of loads the run has created, for routes that act on one */
  loadIds: string[];
}

/** `arbitrary`'s value one time in eight, else null. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/** A value for a field of this schema: usually one it might accept (at and past its bounds), sometimes anything. */
function valueFor(schema: JsonSchema, name: string, nowMs: number, depth: number): fc.Arbitrary<unknown> {
  const plausible = plausibleFor(schema, name, nowMs, depth);
  return fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: hostileJson });
}

function plausibleFor(schema: JsonSchema, name: string, nowMs: number, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union) && union.length > 0)
    return fc.oneof(...union.map((s: JsonSchema) => plausibleFor(s, name, nowMs, depth)));
  if (name in BY_NAME && schema.type !== 'array') return BY_NAME[name];
  switch (schema.type) {
    case 'string':
      return schema.format === 'date-time' ? times(nowMs) : hostileStrings;
    case 'number':
    case 'integer': {
      const lo = schema.minimum ?? schema.exclusiveMinimum ?? -1e6;
      const hi = schema.maximum ?? schema.exclusiveMaximum ?? 1e6;
      const inRange =
        schema.type === 'integer'
          ? fc.integer({ min: Math.max(-1e9, Math.ceil(lo)), max: Math.min(1e9, Math.floor(hi)) })
          : fc.double({ min: lo, max: hi, noNaN: true });
      return fc.oneof(
        { weight: 5, arbitrary: inRange },
        { weight: 1, arbitrary: fc.constantFrom(lo, hi, lo - 1, hi + 1, (lo + hi) / 2) },
        { weight: 1, arbitrary: hostileNumbers },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 4
        ? fc.constant([])
        : fc.array(valueFor(schema.items ?? {}, name, nowMs, depth + 1), { maxLength: 4 });
    case 'object': {
      if (depth > 4 || !schema.properties)
        return fc.dictionary(fc.string({ maxLength: 8 }), hostileJson, { maxKeys: 3 });
      const props = Object.fromEntries(
        Object.entries(schema.properties as Record<string, JsonSchema>).map(([k, s]) => [
          k,
          valueFor(s, k, nowMs, depth + 1),
        ]),
      );
      const required: string[] = (schema.required ?? []).filter((k: string) => k in props);
      const optional = Object.keys(props).filter((k) => !required.includes(k));
      const pick = (keys: string[]) => fc.record(Object.fromEntries(keys.map((k) => [k, props[k]])));
      // the required fields, up to three optional ones, now and then a field it does not know
      return fc
        .tuple(
          pick(required),
          fc.subarray(optional, { maxLength: Math.min(3, optional.length) }).chain(pick),
          sometimes(fc.tuple(fc.constantFrom('colour', '__proto__', 'durationMinutes'), hostileJson)),
        )
        .map(([req, some, extra]) => ({ ...req, ...some, ...(extra ? { [extra[0]]: extra[1] } : {}) }));
    }
    default:
      return hostileJson;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Requests

export interface FuzzRequest {
  /** the operation, as `POST /v1/loads/{id}/cancel` */
  route: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Text for a URL: percent-encoded, lone surrogates too (as the bytes a WTF-8 client would send). */
export function encodeUrlText(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** `value` with its `at`-th string (counting field names too, wrapping around) replaced by `text`. */
function withUnstorableLeaf(value: unknown, at: number, text: string): unknown {
  let count = 0;
  const walk = (v: unknown, replace: number | null): unknown => {
    if (typeof v === 'string') return count++ === replace ? text : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, replace));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [count++ === replace ? text : k, walk(x, replace)]),
      );
    return v;
  };
  walk(value, null);
  if (count === 0) return value;
  const total = count;
  count = 0;
  return walk(value, at % total);
}

/** JSON text the way a careless or hostile client writes it. */
function rawBodies(plausible: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const duplicateKeys = plausible.chain((v) => {
    const keys = v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
    if (keys.length === 0) return fc.constant(JSON.stringify(v));
    return fc.tuple(fc.constantFrom(...keys), hostileJson).map(([key, other]) => {
      const text = JSON.stringify(v);
      return `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(other) ?? 'null'}}`;
    });
  });
  const deep = fc
    .integer({ min: 20, max: 200_000 })
    .chain((n) =>
      fc.constantFrom(`${'['.repeat(n)}${']'.repeat(n)}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    );
  return fc.oneof(
    duplicateKeys,
    deep,
    fc.constantFrom(
      '',
      '{',
      '{"a":1e400}',
      '{"durationMin":1e400,"powerKw":-1e400}',
      '{"durationMin":123456789012345678901234567890}',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '\ufeff{}',
      'null',
      '[]',
      '"text"',
      '{"name":"\\u0000"}',
      '{"name":"\\ud800","zones":["\\udfff"]}',
      '{"a\\u0000":1}',
    ),
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
];

/** One request to one operation: path and query from their schemas, a body as JSON or raw text. */
export function requestFor(
  op: Operation,
  token: string,
  pools: Pools,
  nowMs: number,
): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const pathValue = (name: string) =>
    fc.oneof(
      name === 'id' && pools.loadIds.length > 0 ? fc.constantFrom(...pools.loadIds) : fc.constant('DE'),
      fc.string({ minLength: 1, maxLength: 20 }),
      hostileStrings.filter((s) => s.length > 0 && s.length < 5000),
    );
  const queryValue = (p: Operation['params'][number]) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: plausibleFor(p.schema, p.name, nowMs, 0).map((v) =>
          typeof v === 'string' ? v : (JSON.stringify(v) ?? ''),
        ),
      },
      { weight: 1, arbitrary: hostileStrings.filter((s) => s.length < 5000) },
    );
  // a parameter is given once, now and then twice (`?state=a&state=b`)
  const queryValues = (p: Operation['params'][number]) =>
    fc.oneof(
      { weight: 5, arbitrary: queryValue(p).map((v) => [v]) },
      { weight: 1, arbitrary: fc.array(queryValue(p), { minLength: 2, maxLength: 2 }) },
    );
  const path = fc
    .tuple(...pathParams.map((p) => pathValue(p.name)))
    .map((values) =>
      values.reduce((url, v, i) => url.replace(`{${pathParams[i].name}}`, encodeUrlText(String(v))), op.path),
    );
  const query = fc
    .tuple(
      fc
        .subarray(queryParams, { maxLength: Math.min(3, queryParams.length) })
        .chain((chosen) => fc.record(Object.fromEntries(chosen.map((p) => [p.name, queryValues(p)])))),
      sometimes(
        fc.tuple(
          fc.constantFrom('unknown', 'limit', '__proto__'),
          hostileStrings.filter((s) => s.length < 100),
        ),
      ),
      // one parameter, otherwise as plausible as the rest, made unstorable
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(), unstorableStrings) },
      ),
    )
    .map(([named, extra, unstorable]) => {
      const entries = Object.entries(named).flatMap(([k, values]) => (values as string[]).map((v) => [k, v]));
      if (unstorable && queryParams.length > 0) {
        const [at, text] = unstorable;
        if (entries.length > 0) entries[at % entries.length][1] = text;
        else entries.push([queryParams[at % queryParams.length].name, text]);
      }
      const pairs = entries.map(([k, v]) => `${k}=${encodeUrlText(v)}`);
      if (extra) pairs.push(`${extra[0]}=${encodeUrlText(extra[1])}`);
      return pairs.length ? `?${pairs.join('&')}` : '';
    });
  const base = BASES[`${op.method} ${op.path}`] ?? {};
  const plausibleBody = op.body
    ? plausibleFor(op.body, 'body', nowMs, 0).map((v) =>
        v && typeof v === 'object' && !Array.isArray(v) ? { ...base, ...v } : v,
      )
    : hostileJson;
  const body = fc.oneof(
    { weight: 4, arbitrary: plausibleBody.map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(plausibleBody, fc.nat(), unstorableStrings)
        .map(([v, at, text]) => JSON.stringify(withUnstorableLeaf(v, at, text)) ?? 'null'),
    },
    { weight: 2, arbitrary: rawBodies(plausibleBody) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES, undefined) },
  );
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  return fc
    .tuple(path, query, hasBody ? body : fc.constant(undefined), contentType)
    .map(([p, q, payload, type]) => ({
      route: `${op.method} ${op.path}`,
      method: op.method,
      url: `${p}${q}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload !== undefined && type !== undefined ? { 'content-type': type } : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    }));
}

// ---------------------------------------------------------------------------------------------------------
// What is stored

/** pg-boss's own bookkeeping, which its monitor rewrites on a timer: its version marks and queue counts. */
const QUEUE_BOOKKEEPING = ['version', 'queue', 'bam'];
/** A token's last use: the fuzzer's own token is checked on every request. */
const TIMER_COLUMNS = ['last_used_at'];

/**
 * A fingerprint of everything stored: per table of the store's schemas (gridshift's and the queue's jobs), its
 * row count and an md5 of its rows in a stable order. What changes on a timer whatever the requests (the
 * queue's own bookkeeping, the fuzzer's token's last use) is left out.
 */
export async function storedSnapshot(store: Store): Promise<Record<string, string>> {
  const tables = await store.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_schema = $1 OR (table_schema LIKE $2 AND NOT table_name = ANY($3)) ORDER BY 1, 2`,
    [store.schema, `${store.schema}\\_q%`, QUEUE_BOOKKEEPING],
  );
  const out: Record<string, string> = {};
  for (const t of tables) {
    const [row] = await store.query<{ n: number; digest: string | null }>(
      `SELECT count(*)::integer AS n, md5(string_agg(row, E'\\n' ORDER BY row)) AS digest FROM (
         SELECT (to_jsonb(r) - ARRAY[${TIMER_COLUMNS.map((c) => `'${c}'`).join(',')}])::text AS row
           FROM "${t.schema}"."${t.name}" r) rows`,
    );
    out[`${t.schema}.${t.name}`] = `${row.n} rows, ${row.digest ?? 'empty'}`;
  }
  return out;
}

/** The tables whose fingerprints differ, for a failure message. */
function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).map((n) => `${n} (${before[n]} -> ${after[n]})`);
}

// ---------------------------------------------------------------------------------------------------------
// The run

export interface FuzzReport {
  requests: number;
  byStatus: Record<number, number>;
  /** statuses per operation */
  byRoute: Record<string, Record<number, number>>;
  heapGrowthMb: number;
  peakHeapMb: number;
}

/**
 * Sends `numRuns` generated requests (seeded) to `target` and checks each; throws (through fast-check,
 * with the smallest failing request it finds) on the first 5xx or a refused request that changed the store.
 */
export async function fuzz(
  target: FuzzTarget,
  options: { seed: number; numRuns: number; heapBoundMb: number },
): Promise<FuzzReport> {
  const ops = await readOperations(target.app);
  const pools: Pools = { loadIds: [] };
  const nowMs = Date.now();
  const byStatus: Record<number, number> = {};
  const byRoute: Record<string, Record<number, number>> = {};
  const heapAtStart = process.memoryUsage().heapUsed;
  let peakHeap = heapAtStart;
  let requests = 0;
  let before = await storedSnapshot(target.store);
  // routes that take a body have more to get wrong: they are drawn three times as often
  const arbitrary = fc
    .oneof(...ops.map((op) => ({ weight: op.body ? 3 : 1, arbitrary: fc.constant(op) })))
    .chain((op) => requestFor(op, target.token, pools, nowMs));
  await fc.assert(
    fc.asyncProperty(arbitrary, async (request) => {
      const response = await target.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      });
      requests++;
      byStatus[response.statusCode] = (byStatus[response.statusCode] ?? 0) + 1;
      byRoute[request.route] ??= {};
      byRoute[request.route][response.statusCode] = (byRoute[request.route][response.statusCode] ?? 0) + 1;
      if (response.statusCode >= 500)
        throw new Error(
          `${request.method} ${request.url}: ${response.statusCode} ${response.body.slice(0, 300)}`,
        );
      const after = await storedSnapshot(target.store);
      const changed = changedTables(before, after);
      if (response.statusCode >= 400 && changed.length > 0)
        throw new Error(
          `${request.method} ${request.url}: refused with ${response.statusCode}, but the store changed: ${changed.join('; ')}`,
        );
      before = after;
      if (response.statusCode === 201 && request.url.startsWith('/v1/loads')) {
        const id = response.json()?.load?.id;
        if (typeof id === 'string') pools.loadIds.push(id);
      }
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      const growthMb = (process.memoryUsage().heapUsed - heapAtStart) / 2 ** 20;
      if (growthMb > options.heapBoundMb)
        throw new Error(`${request.method} ${request.url}: the heap grew by ${growthMb.toFixed(0)} MB`);
    }),
    { seed: options.seed, numRuns: options.numRuns, endOnFailure: true },
  );
  const alive = await target.app.inject({ url: '/healthz' });
  if (alive.statusCode !== 200)
    throw new Error(`the server no longer answers /healthz (${alive.statusCode})`);
  return {
    requests,
    byStatus,
    byRoute,
    heapGrowthMb: (process.memoryUsage().heapUsed - heapAtStart) / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
  };
}
