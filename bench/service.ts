/**
 * The scheduler service under load, on loopback, on the embedded store (PGlite in a temporary data
 * directory) and on PostgreSQL (a fresh schema, dropped afterwards):
 *
 * 1. plan previews (POST /v1/loads/preview) per second and their latency, against a bare Fastify route,
 *    both driven by autocannon with the same connections and duration, the servers in a child process;
 * 2. submit-to-waiting: loads a second from submission until the load is `waiting` with its attempt queued,
 *    over HTTP (POST /v1/loads) and in process (scheduler.submit);
 * 3. dispatch lateness (actual start minus planned start) of 1,000 waiting loads run by one worker with the
 *    default settings: planned starts spread evenly over a minute, then all at one instant.
 *
 * Run: node_modules/.bin/node bench/service.ts   (or npm run bench -- service; writes bench/out/service.json)
 * Options: --duration S (per preview measurement, default 5), --connections N (10), --submit-loads N (500),
 * --lateness-loads N (1000), --spread S (60), --polling S (the worker's, default 2), --no-postgres.
 * PostgreSQL: GRIDSHIFT_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; left out with a
 * message when it cannot be reached.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createAccounting } from '../src/accounting/ledger.ts';
import { type RunningService, startService } from '../src/runner/process.ts';
import type { StoreOptions } from '../src/store/db.ts';
import { countLoadsByState, type Load, listLoads } from '../src/store/loads.ts';
import type { CountReport, ServerRequest, ServerSpec, SubmitReport } from './service-fixtures/server.ts';

// ---------------------------------------------------------------------------------------------------
// Settings

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(Number.isFinite(v) && v > 0))
    throw new Error(`--${name}: "${process.argv[i + 1]}" is not a positive number`);
  return v;
}

const DURATION_S = option('duration', 5);
const WARMUP_S = 1;
const CONNECTIONS = option('connections', 10);
const SUBMIT_LOADS = option('submit-loads', 500);
const SUBMIT_CONCURRENCY = CONNECTIONS;
const LATENESS_LOADS = option('lateness-loads', 1000);
const SPREAD_MS = option('spread', 60) * 1000;
/** the worker's default concurrency (startService), shown in the tables */
const WORKER_CONCURRENCY = 4;
/** how often an idle worker asks the queue for due attempts; openQueue's default is 2 s */
const POLLING_S = option('polling', 2);
const PG_URL = process.env.GRIDSHIFT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WITH_POSTGRES = !process.argv.includes('--no-postgres');

const here = dirname(fileURLToPath(import.meta.url));
const SERVER_SCRIPT = join(here, 'service-fixtures', 'server.ts');

/** A plan preview as a client would send it: a 2-hour, 3 kW load in Germany that may move 12 hours. */
const PREVIEW_BODY = {
  name: 'bench-preview',
  zones: ['DE'],
  durationMin: 120,
  powerKw: 3,
  maxDelayMin: 720,
  objective: 'carbon',
};
/** A submitted load: 1 hour, 1 kW, within 12 hours, no dispatch action. */
const SUBMIT_BODY = {
  name: 'bench-submit',
  tags: ['bench'],
  zones: ['DE'],
  durationMin: 60,
  powerKw: 1,
  maxDelayMin: 720,
  dispatch: { kind: 'none' },
};

type BackendName = 'embedded' | 'postgres';

interface Backend {
  name: BackendName;
  label: string;
  /** a new, empty store each call */
  fresh(tag: string): StoreOptions;
  cleanup(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Numbers

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ms = (v: number) =>
  !Number.isFinite(v)
    ? 'n/a'
    : v < 1
      ? v.toFixed(3)
      : v < 10
        ? v.toFixed(2)
        : v < 100
          ? v.toFixed(1)
          : v.toFixed(0);
const ratio = (a: number, b: number) =>
  Number.isFinite(a / b) ? (a / b < 0.1 ? (a / b).toFixed(3) : (a / b).toFixed(2)) : 'n/a';

function table(head: string[], align: ('l' | 'r')[], rows: (string | number)[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Child servers

interface Child {
  ports: Record<string, number>;
  token?: string;
  ask<T>(request: ServerRequest): Promise<T>;
  stop(): Promise<void>;
}

async function startChild(spec: ServerSpec): Promise<Child> {
  // the API child's stdout takes the `logged` server's request log: discarded
  const child: ChildProcess = fork(SERVER_SCRIPT, [JSON.stringify(spec)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting: ((m: unknown) => void)[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.on('message', (m) => waiting.shift()?.(m));
  const next = <T>(): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push((m) => {
        const e = (m as { error?: string }).error;
        if (e) reject(new Error(`benchmark server: ${e}`));
        else resolve(m as T);
      });
      exited.then((code) => reject(new Error(`benchmark server exited (${code})`)));
    });
  const ready = await next<{ ports: Record<string, number>; token?: string }>();
  return {
    ports: ready.ports,
    token: ready.token,
    ask<T>(request: ServerRequest) {
      const reply = next<T>();
      child.send(request);
      return reply;
    },
    async stop() {
      const done = next<unknown>().catch(() => {});
      child.send({ cmd: 'stop' } satisfies ServerRequest);
      await Promise.race([done, exited]);
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Load generation

interface HttpRun {
  label: string;
  connections: number;
  durationS: number;
  ok: number;
  non2xx: number;
  errors: number;
  rps: number;
  latencyMs: ReturnType<typeof summary>;
}

/**
 * POSTs `body` to `url` from `connections` connections, for `durationS` seconds or `amount` requests.
 * Latencies are taken from each response (high-resolution; autocannon's own histogram keeps whole ms).
 */
async function hammer(
  label: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  limits: { durationS?: number; amount?: number; warmup?: boolean },
): Promise<HttpRun> {
  const options = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    connections: CONNECTIONS,
    timeout: 30,
  };
  if (limits.warmup) await autocannon({ ...options, duration: WARMUP_S });
  const latencies: number[] = [];
  const t0 = performance.now();
  let lastResponseMs = t0;
  const run = autocannon({
    ...options,
    ...(limits.amount !== undefined ? { amount: limits.amount } : { duration: limits.durationS }),
  });
  run.on('response', (_client: unknown, status: number, _bytes: number, responseMs: number) => {
    lastResponseMs = performance.now();
    if (status >= 200 && status < 300) latencies.push(responseMs);
  });
  const r = await run;
  // autocannon notices that the last of `amount` requests is done only at its next one-second tick
  const durationS = limits.amount !== undefined ? (lastResponseMs - t0) / 1000 : r.duration;
  return {
    label,
    connections: CONNECTIONS,
    durationS,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    rps: r['2xx'] / durationS,
    latencyMs: summary(latencies),
  };
}

// ---------------------------------------------------------------------------------------------------
// Backends

async function postgresBackend(): Promise<Backend | string> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    await client.end().catch(() => {});
    return `PostgreSQL at ${PG_URL} is not reachable (${(err as Error).message}): its rows are left out`;
  }
  const schemas: string[] = [];
  return {
    name: 'postgres',
    label: 'PostgreSQL',
    fresh(tag) {
      const schema = `bench_service_${process.pid}_${tag}`;
      schemas.push(schema, `${schema}_queue`);
      return { databaseUrl: PG_URL, schema };
    },
    async cleanup() {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await client.end();
    },
  };
}

function embeddedBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'embedded',
    label: 'embedded (PGlite)',
    fresh() {
      const dataDir = mkdtempSync(join(tmpdir(), 'gridshift-bench-'));
      dirs.push(dataDir);
      return { dataDir };
    },
    async cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return rows[0].v;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// 1 and 2: the API in a child process

interface ApiResults {
  backend: BackendName;
  preview: { cached: HttpRun; uncached: HttpRun; logged?: HttpRun };
  /** scheduler.preview in the server process, one call after another: the planning without the HTTP API */
  previewInProcess: { calls: number; msPerCall: number };
  submitHttp: HttpRun & { after: CountReport };
  submitInProcess: {
    loads: number;
    concurrency: number;
    elapsedS: number;
    loadsPerS: number;
    failures: number;
    latencyMs: ReturnType<typeof summary>;
    after: CountReport;
  };
}

async function apiBench(backend: Backend): Promise<ApiResults> {
  const child = await startChild({ mode: 'api', store: backend.fresh('api') });
  try {
    const auth = { authorization: `Bearer ${child.token}` };
    const url = (server: string, path: string) => `http://127.0.0.1:${child.ports[server]}${path}`;
    const preview = (server: string, label: string) =>
      hammer(label, url(server, '/v1/loads/preview'), PREVIEW_BODY, auth, {
        durationS: DURATION_S,
        warmup: true,
      });
    const cached = await preview('cached', `preview, ${backend.label}, token check cached`);
    const uncached = await preview('uncached', `preview, ${backend.label}, token checked per request`);
    const logged =
      backend.name === 'embedded'
        ? await preview('logged', `preview, ${backend.label}, token check cached, request log on`)
        : undefined;

    const calls = 5000;
    const direct = await child.ask<{ elapsedMs: number }>({ cmd: 'preview', n: calls, body: PREVIEW_BODY });

    const http = await hammer(
      `submit over HTTP, ${backend.label}`,
      url('cached', '/v1/loads'),
      SUBMIT_BODY,
      auth,
      {
        amount: SUBMIT_LOADS,
      },
    );
    const afterHttp = await child.ask<CountReport>({ cmd: 'count' });
    const inProcess = await child.ask<SubmitReport>({
      cmd: 'submit',
      n: SUBMIT_LOADS,
      concurrency: SUBMIT_CONCURRENCY,
      body: SUBMIT_BODY,
    });
    const afterInProcess = await child.ask<CountReport>({ cmd: 'count' });
    return {
      backend: backend.name,
      preview: { cached, uncached, ...(logged ? { logged } : {}) },
      previewInProcess: { calls, msPerCall: direct.elapsedMs / calls },
      submitHttp: { ...http, after: afterHttp },
      submitInProcess: {
        loads: SUBMIT_LOADS,
        concurrency: SUBMIT_CONCURRENCY,
        elapsedS: inProcess.elapsedMs / 1000,
        loadsPerS: inProcess.latenciesMs.length / (inProcess.elapsedMs / 1000),
        failures: inProcess.failures,
        latencyMs: summary(inProcess.latenciesMs),
        after: afterInProcess,
      },
    };
  } finally {
    await child.stop();
  }
}

async function bareBench(): Promise<HttpRun> {
  const child = await startChild({ mode: 'bare' });
  try {
    return await hammer(
      'bare Fastify route',
      `http://127.0.0.1:${child.ports.bare}/bare`,
      PREVIEW_BODY,
      {},
      {
        durationS: DURATION_S,
        warmup: true,
      },
    );
  } finally {
    await child.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// 3: dispatch lateness, a worker in this process

interface Wave {
  kind: 'spread' | 'burst';
  loads: number;
  /** planned starts from the first to the last, s (0: all at once) */
  spreadS: number;
  /** from starting to submit until the first planned start, s */
  leadS: number;
  submitS: number;
  /** loads whose planned start came before the last submit finished */
  dueDuringSubmit: number;
  started: number;
  latenessMs: ReturnType<typeof summary>;
  /** from the first planned start until the last load started, s */
  drainS: number;
}

interface LatenessResult {
  backend: BackendName;
  spread: Wave;
  burst: Wave;
}

async function allLoads(store: Parameters<typeof listLoads>[0]): Promise<Load[]> {
  const out: Load[] = [];
  let cursor: string | undefined;
  do {
    const page = await listLoads(store, { limit: 1000, ...(cursor ? { cursor } : {}) });
    out.push(...page.loads);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * Submits LATENESS_LOADS loads whose planned starts are `spreadMs` apart from first to last, the first
 * after every submit is done (by `submitLoadsPerS`, with room), then waits until every one has started.
 */
async function wave(
  service: RunningService,
  kind: Wave['kind'],
  spreadMs: number,
  submitLoadsPerS: number,
): Promise<Wave> {
  const leadMs = Math.ceil(((LATENESS_LOADS / submitLoadsPerS) * 1.5 + 5) * 1000);
  const firstMs = Date.now() + leadMs;
  const gapMs = LATENESS_LOADS > 1 ? spreadMs / (LATENESS_LOADS - 1) : 0;
  const ids = new Set<string>();
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < LATENESS_LOADS) {
      const i = next++;
      // a window exactly as long as the load: its planned start is its earliest start
      const earliestMs = Math.round(firstMs + i * gapMs);
      const { load } = await service.scheduler.submit({
        name: `bench-${kind}-${i}`,
        zones: ['DE'],
        durationMin: 1,
        powerKw: 1,
        earliest: new Date(earliestMs).toISOString(),
        deadline: new Date(earliestMs + 60_000).toISOString(),
        dispatch: { kind: 'none' },
      });
      ids.add(load.id);
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_CONCURRENCY }, lane));
  const submitEndMs = Date.now();
  const submitS = (performance.now() - t0) / 1000;

  const giveUpMs = firstMs + spreadMs + 180_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const counts = await countLoadsByState(service.store);
    const notStarted = counts.planned + counts.waiting;
    if (notStarted === 0 && counts.running === 0) break;
    if (Date.now() > giveUpMs) {
      process.stderr.write(`${kind}: ${notStarted} loads had not started when the run gave up\n`);
      break;
    }
  }
  const loads = (await allLoads(service.store)).filter((l) => ids.has(l.id));
  const lateness: number[] = [];
  let lastStartMs = Number.NaN;
  for (const l of loads) {
    if (l.startedMs === null || l.plannedStartMs === null) continue;
    lateness.push(l.startedMs - l.plannedStartMs);
    if (!(l.startedMs <= lastStartMs)) lastStartMs = l.startedMs;
  }
  return {
    kind,
    loads: ids.size,
    spreadS: spreadMs / 1000,
    leadS: leadMs / 1000,
    submitS,
    dueDuringSubmit: loads.filter((l) => l.plannedStartMs !== null && l.plannedStartMs < submitEndMs).length,
    started: lateness.length,
    latenessMs: summary(lateness),
    drainS: (lastStartMs - firstMs) / 1000,
  };
}

async function latenessBench(backend: Backend, submitLoadsPerS: number): Promise<LatenessResult> {
  // a worker process as `gridshift worker` starts it: default concurrency and polling
  const service = await startService({
    accounting: createAccounting,
    store: backend.fresh('lateness'),
    roles: ['worker'],
    handleSignals: false,
    log: () => {},
    queue: { onError: () => {}, pollingIntervalSeconds: POLLING_S },
  });
  try {
    const spread = await wave(service, 'spread', SPREAD_MS, submitLoadsPerS);
    const burst = await wave(service, 'burst', 0, LATENESS_LOADS / spread.submitS);
    return { backend: backend.name, spread, burst };
  } finally {
    await service.stop({ graceMs: 10_000 });
  }
}

// ---------------------------------------------------------------------------------------------------
// Main

const began = performance.now();
// other work on the machine shows here: the numbers are only as steady as the machine was
const loadAtStart = loadavg()[0];
const backends: Backend[] = [embeddedBackend()];
const notes: string[] = [];
if (WITH_POSTGRES) {
  const pgBackend = await postgresBackend();
  if (typeof pgBackend === 'string') notes.push(pgBackend);
  else backends.push(pgBackend);
} else notes.push('PostgreSQL left out (--no-postgres)');
for (const n of notes) console.error(n);

const results: { bare?: HttpRun; api: ApiResults[]; lateness: LatenessResult[] } = { api: [], lateness: [] };
try {
  results.bare = await bareBench();
  for (const b of backends) results.api.push(await apiBench(b));
  for (const b of backends) {
    const api = results.api.find((a) => a.backend === b.name) as ApiResults;
    results.lateness.push(await latenessBench(b, api.submitInProcess.loadsPerS));
  }
} finally {
  for (const b of backends)
    await b.cleanup().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
}
const totalS = (performance.now() - began) / 1000;

// ---------------------------------------------------------------------------------------------------
// Tables

const bare = results.bare as HttpRun;
const labelOf = (name: BackendName) => (name === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL');
const previewRows: (string | number)[][] = [
  [
    'bare Fastify route (POST, small JSON)',
    '-',
    '-',
    bare.ok,
    fixed(bare.rps, 0),
    ms(bare.latencyMs.p50),
    ms(bare.latencyMs.p99),
    '1',
    '1',
    '1',
  ],
];
for (const a of results.api) {
  const runs: [string, HttpRun][] = [
    ['cached (60 s)', a.preview.cached],
    ['every request (tokenCacheMs 0)', a.preview.uncached],
  ];
  if (a.preview.logged) runs.push(['cached (60 s), request log at info', a.preview.logged]);
  for (const [auth, r] of runs) {
    previewRows.push([
      'POST /v1/loads/preview',
      labelOf(a.backend),
      auth,
      r.ok,
      fixed(r.rps, 0),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p99),
      ratio(r.rps, bare.rps),
      ratio(r.latencyMs.p50, bare.latencyMs.p50),
      ratio(r.latencyMs.p99, bare.latencyMs.p99),
    ]);
  }
}

const directRows = results.api.map((a) => [
  labelOf(a.backend),
  a.previewInProcess.calls,
  ms(a.previewInProcess.msPerCall),
  fixed(1000 / a.previewInProcess.msPerCall, 0),
]);

const submitRows: (string | number)[][] = [];
for (const a of results.api) {
  const h = a.submitHttp;
  submitRows.push([
    'POST /v1/loads',
    labelOf(a.backend),
    h.ok,
    h.connections,
    fixed(h.durationS, 2),
    fixed(h.rps, 0),
    ms(h.latencyMs.p50),
    ms(h.latencyMs.p99),
    `${h.after.states.waiting ?? 0} / ${h.after.queuedJobs}`,
  ]);
  const p = a.submitInProcess;
  submitRows.push([
    'scheduler.submit in process',
    labelOf(a.backend),
    p.loads - p.failures,
    p.concurrency,
    fixed(p.elapsedS, 2),
    fixed(p.loadsPerS, 0),
    ms(p.latencyMs.p50),
    ms(p.latencyMs.p99),
    `${p.after.states.waiting ?? 0} / ${p.after.queuedJobs}`,
  ]);
}

const latenessRows: (string | number)[][] = [];
for (const l of results.lateness) {
  for (const w of [l.spread, l.burst]) {
    latenessRows.push([
      labelOf(l.backend),
      w.kind === 'spread' ? `spread evenly over ${w.spreadS} s` : 'all at one instant',
      w.loads,
      w.started,
      fixed(w.latenessMs.min, 0),
      fixed(w.latenessMs.p50, 0),
      fixed(w.latenessMs.p99, 0),
      fixed(w.latenessMs.max, 0),
      fixed(w.drainS, 1),
      w.kind === 'burst' ? fixed(w.started / w.drainS, 0) : '-',
    ]);
  }
}

const compareRows: (string | number)[][] = [];
const emb = results.api.find((a) => a.backend === 'embedded');
const pgr = results.api.find((a) => a.backend === 'postgres');
const embL = results.lateness.find((l) => l.backend === 'embedded');
const pgL = results.lateness.find((l) => l.backend === 'postgres');
if (emb && pgr && embL && pgL) {
  const row = (what: string, e: number, p: number, digits: number) => [
    what,
    fixed(e, digits),
    fixed(p, digits),
    ratio(p, e),
  ];
  compareRows.push(
    row('preview/s, token check cached', emb.preview.cached.rps, pgr.preview.cached.rps, 0),
    row('preview/s, token checked per request', emb.preview.uncached.rps, pgr.preview.uncached.rps, 0),
    row('submits/s over HTTP', emb.submitHttp.rps, pgr.submitHttp.rps, 0),
    row('submits/s in process', emb.submitInProcess.loadsPerS, pgr.submitInProcess.loadsPerS, 0),
    row('submit p50 in process, ms', emb.submitInProcess.latencyMs.p50, pgr.submitInProcess.latencyMs.p50, 1),
    row('lateness p50, spread starts, ms', embL.spread.latenessMs.p50, pgL.spread.latenessMs.p50, 0),
    row('lateness p99, spread starts, ms', embL.spread.latenessMs.p99, pgL.spread.latenessMs.p99, 0),
    row('lateness p50, one instant, ms', embL.burst.latenessMs.p50, pgL.burst.latenessMs.p50, 0),
    row('lateness p99, one instant, ms', embL.burst.latenessMs.p99, pgL.burst.latenessMs.p99, 0),
    row(
      'starts/s, one instant',
      embL.burst.started / embL.burst.drainS,
      pgL.burst.started / pgL.burst.drainS,
      0,
    ),
  );
}

const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  postgres: backends.some((b) => b.name === 'postgres') ? await postgresVersion() : null,
  /** 1-minute load average when the run started and when it ended */
  loadAverage: [loadAtStart, loadavg()[0]],
};

console.log(
  `Machine: ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}` +
    `${machine.postgres ? `, PostgreSQL ${machine.postgres}` : ''}; the whole run took ${totalS.toFixed(0)} s; ` +
    `load average ${machine.loadAverage.map((v) => v.toFixed(2)).join(' at the start, ')} at the end.\n`,
);
console.log(
  `### Plan preview against a bare Fastify route (${CONNECTIONS} connections, ${DURATION_S} s each)\n`,
);
console.log(
  table(
    [
      'route',
      'store',
      'token check',
      'requests',
      'req/s',
      'p50 ms',
      'p99 ms',
      'req/s / bare',
      'p50 / bare',
      'p99 / bare',
    ],
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    previewRows,
  ),
);
console.log(
  '\n### The same preview without HTTP: scheduler.preview in the server process, one call at a time\n',
);
console.log(table(['store', 'calls', 'ms a call', 'calls/s'], ['l', 'r', 'r', 'r'], directRows));
console.log(`\n### Submit to waiting (${SUBMIT_LOADS} loads, ${SUBMIT_CONCURRENCY} at a time)\n`);
console.log(
  table(
    [
      'path',
      'store',
      'loads',
      'concurrency',
      's',
      'loads/s',
      'p50 ms',
      'p99 ms',
      'waiting / queued attempts after',
    ],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    submitRows,
  ),
);
console.log(
  `\n### Dispatch lateness: actual start minus planned start, ms (one worker: concurrency ${WORKER_CONCURRENCY}, polling every ${POLLING_S} s)\n`,
);
console.log(
  table(
    [
      'store',
      'planned starts',
      'waiting loads',
      'started',
      'min',
      'p50',
      'p99',
      'max',
      'last start after first planned, s',
      'starts/s',
    ],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    latenessRows,
  ),
);
if (compareRows.length) {
  console.log('\n### Embedded against PostgreSQL (same run)\n');
  console.log(
    table(['measure', 'embedded', 'PostgreSQL', 'PostgreSQL / embedded'], ['l', 'r', 'r', 'r'], compareRows),
  );
}
for (const n of notes) console.log(`\n${n}`);

const outDir = join(here, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'service.json'),
  `${JSON.stringify(
    {
      machine,
      settings: {
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        connections: CONNECTIONS,
        submitLoads: SUBMIT_LOADS,
        submitConcurrency: SUBMIT_CONCURRENCY,
        latenessLoads: LATENESS_LOADS,
        spreadS: SPREAD_MS / 1000,
        workerConcurrency: WORKER_CONCURRENCY,
        pollingS: POLLING_S,
        previewBody: PREVIEW_BODY,
        submitBody: SUBMIT_BODY,
      },
      totalS,
      notes,
      ...results,
    },
    null,
    2,
  )}\n`,
);
