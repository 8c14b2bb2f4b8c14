/**
 * `gridshift/client`: a typed client of the gridshift HTTP API, for Node.js 22+, browsers, Deno and Bun
 * (anything with `fetch`). It loads nothing of the server: the types come from the API's own schemas.
 *
 * ```ts
 * import { createClient } from 'gridshift/client';
 * const gridshift = createClient({ baseUrl: 'http://127.0.0.1:8080', token: process.env.GRIDSHIFT_TOKEN });
 * const { load, plan } = await gridshift.loads.create({ name: 'backup', zones: ['DE'], durationMin: 60, powerKw: 0.5 });
 * ```
 */
import { GridshiftApiError, GridshiftConnectionError } from './errors.ts';
import { OPERATIONS, type OperationName } from './operations.ts';
import { readSse } from './sse.ts';
import type {
  ApiToken,
  AuditExportQuery,
  AuditPage,
  AuditQuery,
  AuditVerdict,
  CloudRegion,
  Cluster,
  CreatedToken,
  Dashboard,
  DashboardQuery,
  DecideNow,
  DecideNowRequest,
  Decision,
  GridEvent,
  GridEventReport,
  HomeDevice,
  HomeDevicePatch,
  HomeHistory,
  HomePlan,
  HomeReading,
  ListLoadsQuery,
  Load,
  LoadDetail,
  LoadPage,
  ModelTier,
  ModelTierRequest,
  NewHomeDevice,
  NewLoad,
  NewOpenAiBatch,
  NewToken,
  OpenAiBatch,
  OpenAiBatchList,
  OpenAiBatchRequest,
  OpenAiFile,
  PlanPreview,
  Problem,
  PurgeRequest,
  Readiness,
  RecurringLoad,
  ReplanSummary,
  ReplicaCap,
  Report,
  ReportQuery,
  SchedulerStatus,
  ServerEvent,
  ServerEventType,
  SignalsQuery,
  SubmitResult,
  Zone,
  ZoneSignals,
} from './types.ts';

export { GridshiftApiError, GridshiftConnectionError } from './errors.ts';
export { OPERATIONS, type OperationName } from './operations.ts';
export type * from './types.ts';

export interface ClientOptions {
  /** where the server listens, e.g. `http://127.0.0.1:8080` (a path prefix is kept: `https://host/gridshift`) */
  baseUrl: string;
  /** an API token (`gs_...`), sent as `Authorization: Bearer <token>` */
  token?: string;
  /** the fetch to use; default the global one */
  fetch?: typeof fetch;
  /** extra headers on every request */
  headers?: Record<string, string>;
  /** give up on a request after this long, ms (not the event stream); default 30 000, 0 for never */
  timeoutMs?: number;
}

export interface CallOptions {
  /** abort the request */
  signal?: AbortSignal;
}

export interface EventsOptions extends CallOptions {
  /** only these event types; default all */
  types?: ServerEventType[];
  /** called once the server accepted the stream: events published from then on are delivered */
  onOpen?: () => void;
}

export interface GridshiftClient {
  readonly baseUrl: string;
  health: {
    /** GET /healthz: the process is up */
    live(options?: CallOptions): Promise<{ status: 'ok' }>;
    /** GET /readyz: store, migrations and queue; a server that is not ready answers too (status `not ready`) */
    ready(options?: CallOptions): Promise<Readiness>;
  };
  loads: {
    /** POST /v1/loads: plan, store and queue a load (a repeated idempotency key returns the first one) */
    create(load: NewLoad, options?: CallOptions): Promise<SubmitResult>;
    /** POST /v1/loads/preview: the plan a submit would make, storing nothing */
    preview(load: NewLoad, options?: CallOptions): Promise<PlanPreview>;
    /** GET /v1/loads: one page, newest first */
    list(query?: ListLoadsQuery, options?: CallOptions): Promise<LoadPage>;
    /** GET /v1/loads, page after page: every matching load */
    listAll(query?: Omit<ListLoadsQuery, 'cursor'>, options?: CallOptions): AsyncIterable<Load>;
    /** GET /v1/loads/{id}: the load, its state history and its accounting */
    get(id: string, options?: CallOptions): Promise<LoadDetail>;
    cancel(id: string, body?: { reason?: string }, options?: CallOptions): Promise<{ load: Load }>;
    runNow(id: string, options?: CallOptions): Promise<{ load: Load }>;
    retry(id: string, options?: CallOptions): Promise<{ load: Load }>;
    /** POST /v1/loads/purge (admin): delete finished loads older than a cutoff */
    purge(request: PurgeRequest, options?: CallOptions): Promise<{ purged: number }>;
  };
  recurring: {
    list(query?: { active?: boolean }, options?: CallOptions): Promise<{ recurring: RecurringLoad[] }>;
    cancel(
      id: string,
      body?: { reason?: string },
      options?: CallOptions,
    ): Promise<{ recurring: RecurringLoad }>;
  };
  signals: {
    /** GET /v1/signals/{zone}: carbon and price now, their quality, the sources and the forecast */
    get(zone: string, query?: SignalsQuery, options?: CallOptions): Promise<ZoneSignals>;
  };
  dashboard: {
    /** GET /v1/dashboard: a zone's recent and coming hours, its figures now, the loads waiting there, the zones */
    get(query?: DashboardQuery, options?: CallOptions): Promise<Dashboard>;
  };
  zones: {
    list(query?: { search?: string }, options?: CallOptions): Promise<{ zones: Zone[] }>;
  };
  cloudRegions: {
    list(
      query?: { provider?: CloudRegion['provider']; zone?: string },
      options?: CallOptions,
    ): Promise<{ regions: CloudRegion[] }>;
  };
  decide: {
    /** POST /v1/decide/now: run now or defer? */
    now(request: DecideNowRequest, options?: CallOptions): Promise<DecideNow>;
    /** POST /v1/decide/model-tier: large or small model now? */
    modelTier(request: ModelTierRequest, options?: CallOptions): Promise<ModelTier>;
  };
  scaling: {
    /** GET /v1/scaling: the replica cap of every configured scaling target */
    list(options?: CallOptions): Promise<{ targets: ReplicaCap[] }>;
    /** GET /v1/scaling/{target}: the replica cap of one target now */
    get(target: string, options?: CallOptions): Promise<ReplicaCap>;
  };
  cluster: {
    /** GET /v1/cluster: the Kubernetes controller's nodes and taints, caps, Jobs by state and decisions */
    get(options?: CallOptions): Promise<Cluster>;
  };
  home: {
    /** GET /v1/home/plan: the newest plan of the configured home and the setpoints now */
    plan(options?: CallOptions): Promise<HomePlan>;
    /** GET /v1/home/scenario: the scenario of the newest plan (what `home optimize --scenario` reads) */
    scenario(options?: CallOptions): Promise<Record<string, unknown>>;
    /** GET /v1/home/history: what was planned slot by slot, the readings, and today against the baseline */
    history(query?: { hours?: number }, options?: CallOptions): Promise<HomeHistory>;
    /** POST /v1/home/measurements: records readings (SoC, load, PV, EV energy ...) */
    record(readings: HomeReading | HomeReading[], options?: CallOptions): Promise<{ recorded: number }>;
    /** POST /v1/home/replan: solves the home again now */
    replan(options?: CallOptions): Promise<{ solved: boolean; reason: string; plan?: HomePlan }>;
    /** GET /v1/home/notices: what the home was told (windows beginning, grid events) */
    notices(
      query?: { hours?: number },
      options?: CallOptions,
    ): Promise<{ notices: Record<string, unknown>[] }>;
  };
  gridEvents: {
    /** POST /v1/grid-events (admin): reports an event; the same `id` again updates it */
    report(event: GridEventReport, options?: CallOptions): Promise<GridEvent>;
    /** GET /v1/grid-events: the events on now and those ended recently; the worst on now */
    list(
      query?: { endedWithinHours?: number; zone?: string },
      options?: CallOptions,
    ): Promise<{ events: GridEvent[]; worst: GridEvent | null }>;
    get(id: string, options?: CallOptions): Promise<GridEvent>;
    /** POST /v1/grid-events/{id}/end (admin) */
    end(id: string, options?: CallOptions): Promise<GridEvent>;
  };
  reports: {
    get(query?: ReportQuery, options?: CallOptions): Promise<Report>;
  };
  audit: {
    list(query?: AuditQuery, options?: CallOptions): Promise<AuditPage>;
    /** GET /v1/audit/export: the decision log entry by entry, streamed */
    export(query?: AuditExportQuery, options?: CallOptions): AsyncIterable<Decision>;
    verify(options?: CallOptions): Promise<AuditVerdict>;
  };
  scheduler: {
    status(options?: CallOptions): Promise<SchedulerStatus>;
    pause(body?: { reason?: string }, options?: CallOptions): Promise<SchedulerStatus>;
    resume(options?: CallOptions): Promise<SchedulerStatus>;
    replan(options?: CallOptions): Promise<ReplanSummary>;
  };
  tokens: {
    list(options?: CallOptions): Promise<{ tokens: ApiToken[] }>;
    create(token: NewToken, options?: CallOptions): Promise<CreatedToken>;
    /** DELETE /v1/tokens/{id} */
    revoke(id: string, options?: CallOptions): Promise<void>;
  };
  /** a home's devices, each addressed by its id or its name; writes need the admin scope */
  homeDevices: {
    list(options?: CallOptions): Promise<{ devices: HomeDevice[] }>;
    get(device: string, options?: CallOptions): Promise<{ device: HomeDevice }>;
    create(device: NewHomeDevice, options?: CallOptions): Promise<{ device: HomeDevice }>;
    update(device: string, patch: HomeDevicePatch, options?: CallOptions): Promise<{ device: HomeDevice }>;
    /** DELETE /v1/home/devices/{device} */
    remove(device: string, options?: CallOptions): Promise<void>;
    /** POST /v1/home/devices/{device}/override: the household takes it over (default: until the penalty window ends) */
    override(
      device: string,
      override?: { until?: string; reason?: string },
      options?: CallOptions,
    ): Promise<{ device: HomeDevice }>;
    /** DELETE /v1/home/devices/{device}/override */
    clearOverride(device: string, options?: CallOptions): Promise<{ device: HomeDevice }>;
  };
  /**
   * GET /v1/events: the scheduler's events as they happen, until the loop is left or `signal` aborts.
   * Events are not replayed: after a reconnect, re-read the state you show.
   */
  events(options?: EventsOptions): AsyncIterable<ServerEvent>;
  /**
   * The OpenAI-compatible gateway's Files and Batch API (/openai/v1, when the server has an `openai`
   * configuration). For chat completions use any OpenAI client with `baseURL: <server>/openai/v1`.
   */
  openai: {
    files: {
      /** POST /openai/v1/files: uploads a batch input file, from its JSONL text or its request lines */
      create(
        content: string | readonly OpenAiBatchRequest[],
        file?: { filename?: string },
        options?: CallOptions,
      ): Promise<OpenAiFile>;
      get(fileId: string, options?: CallOptions): Promise<OpenAiFile>;
      /** GET /openai/v1/files/{file_id}/content: the JSONL text */
      content(fileId: string, options?: CallOptions): Promise<string>;
    };
    batches: {
      /** POST /openai/v1/batches: the batch becomes a load that runs in its clean window */
      create(batch: NewOpenAiBatch, options?: CallOptions): Promise<OpenAiBatch>;
      list(query?: { after?: string; limit?: number }, options?: CallOptions): Promise<OpenAiBatchList>;
      get(batchId: string, options?: CallOptions): Promise<OpenAiBatch>;
      cancel(batchId: string, options?: CallOptions): Promise<OpenAiBatch>;
    };
  };
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

interface Call extends CallOptions {
  params?: Record<string, string>;
  query?: Query;
  body?: unknown;
  /** a multipart/form-data body instead (file uploads) */
  form?: FormData;
  /** no timeout (streams) */
  stream?: boolean;
}

export function createClient(options: ClientOptions): GridshiftClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`baseUrl: "${options.baseUrl}" is not an http(s) URL`);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const baseUrl = base.toString().replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  function url(op: OperationName, params: Record<string, string> = {}, query: Query = {}): URL {
    const path = OPERATIONS[op][1].replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined || value === '') throw new TypeError(`${op}: ${name} is required`);
      return encodeURIComponent(value);
    });
    const u = new URL(path.slice(1), base);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      u.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    return u;
  }

  async function send(op: OperationName, call: Call = {}): Promise<Response> {
    const [method] = OPERATIONS[op];
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | FormData | undefined;
    if (call.form)
      body = call.form; // fetch sets the multipart content type with its boundary
    else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    if (call.stream) headers.accept = op === 'events' ? 'text/event-stream' : 'application/x-ndjson';
    const signals = [call.signal, !call.stream && timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined];
    const active = signals.filter((s): s is AbortSignal => s !== undefined);
    const signal = active.length > 1 ? AbortSignal.any(active) : active[0];
    let response: Response;
    try {
      response = await doFetch(url(op, call.params, call.query), { method, headers, body, signal });
    } catch (err) {
      throw connectionError(err, call.signal);
    }
    if (!response.ok && !(op === 'health.ready' && response.status === 503)) {
      throw new GridshiftApiError(`${method} ${OPERATIONS[op][1]}`, await problemOf(response));
    }
    return response;
  }

  function connectionError(err: unknown, callerSignal: AbortSignal | undefined): unknown {
    if (callerSignal?.aborted) return err; // the caller's own abort
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError')
      return new GridshiftConnectionError(baseUrl, `no answer within ${timeoutMs / 1000} s`, {
        code: 'timeout',
        cause: err,
      });
    const code = e?.cause?.code;
    const reason = code === 'ECONNREFUSED' ? 'connection refused' : (e?.cause?.message ?? e?.message);
    return new GridshiftConnectionError(baseUrl, reason ?? String(err), { code, cause: err });
  }

  async function json<T>(op: OperationName, call?: Call): Promise<T> {
    const response = await send(op, call);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async function* lines(response: Response): AsyncGenerator<string> {
    if (!response.body) return;
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) yield line;
          nl = buffer.indexOf('\n');
        }
        if (done) break;
      }
      if (buffer.trim()) yield buffer.trim();
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  const byId = (id: string) => ({ id });

  const uploadForm = (content: string | readonly OpenAiBatchRequest[], filename: string): FormData => {
    const text =
      typeof content === 'string' ? content : content.map((l) => `${JSON.stringify(l)}\n`).join('');
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([text], { type: 'application/jsonl' }), filename);
    return form;
  };

  return {
    baseUrl,
    health: {
      live: (o) => json('health.live', o),
      ready: (o) => json('health.ready', o),
    },
    loads: {
      create: (load, o) => json('loads.create', { ...o, body: load }),
      preview: (load, o) => json('loads.preview', { ...o, body: load }),
      list: (query = {}, o) => json('loads.list', { ...o, query: { ...query } }),
      async *listAll(query = {}, o) {
        let cursor: string | undefined;
        do {
          const page: LoadPage = await json('loads.listAll', { ...o, query: { ...query, cursor } });
          yield* page.loads;
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      },
      get: (id, o) => json('loads.get', { ...o, params: byId(id) }),
      cancel: (id, body, o) => json('loads.cancel', { ...o, params: byId(id), body: body ?? {} }),
      runNow: (id, o) => json('loads.runNow', { ...o, params: byId(id) }),
      retry: (id, o) => json('loads.retry', { ...o, params: byId(id) }),
      purge: (request, o) => json('loads.purge', { ...o, body: request }),
    },
    recurring: {
      list: (query = {}, o) => json('recurring.list', { ...o, query: { ...query } }),
      cancel: (id, body, o) => json('recurring.cancel', { ...o, params: byId(id), body: body ?? {} }),
    },
    signals: {
      get: (zone, query = {}, o) => json('signals.get', { ...o, params: { zone }, query: { ...query } }),
    },
    dashboard: { get: (query = {}, o) => json('dashboard.get', { ...o, query: { ...query } }) },
    zones: { list: (query = {}, o) => json('zones.list', { ...o, query: { ...query } }) },
    cloudRegions: { list: (query = {}, o) => json('cloudRegions.list', { ...o, query: { ...query } }) },
    decide: {
      now: (request, o) => json('decide.now', { ...o, body: request }),
      modelTier: (request, o) => json('decide.modelTier', { ...o, body: request }),
    },
    scaling: {
      list: (o) => json('scaling.list', { ...o }),
      get: (target, o) => json('scaling.get', { ...o, params: { target } }),
    },
    cluster: { get: (o) => json('cluster.get', { ...o }) },
    home: {
      plan: (o) => json('home.plan', { ...o }),
      scenario: (o) => json('home.scenario', { ...o }),
      history: (query = {}, o) => json('home.history', { ...o, query: { ...query } }),
      record: (readings, o) =>
        json('home.record', { ...o, body: Array.isArray(readings) ? { readings } : readings }),
      replan: (o) => json('home.replan', { ...o }),
      notices: (query = {}, o) => json('home.notices', { ...o, query: { ...query } }),
    },
    gridEvents: {
      report: (event, o) => json('gridEvents.report', { ...o, body: event }),
      list: (query = {}, o) => json('gridEvents.list', { ...o, query: { ...query } }),
      get: (id, o) => json('gridEvents.get', { ...o, params: byId(id) }),
      end: (id, o) => json('gridEvents.end', { ...o, params: byId(id) }),
    },
    reports: { get: (query = {}, o) => json('reports.get', { ...o, query: { ...query } }) },
    audit: {
      list: (query = {}, o) => json('audit.list', { ...o, query: { ...query } }),
      async *export(query = {}, o) {
        const response = await send('audit.export', { ...o, query: { ...query }, stream: true });
        for await (const line of lines(response)) yield JSON.parse(line) as Decision;
      },
      verify: (o) => json('audit.verify', o),
    },
    scheduler: {
      status: (o) => json('scheduler.status', o),
      pause: (body, o) => json('scheduler.pause', { ...o, body: body ?? {} }),
      resume: (o) => json('scheduler.resume', o),
      replan: (o) => json('scheduler.replan', o),
    },
    tokens: {
      list: (o) => json('tokens.list', o),
      create: (token, o) => json('tokens.create', { ...o, body: token }),
      revoke: async (id, o) => {
        await json<void>('tokens.revoke', { ...o, params: byId(id) });
      },
    },
    homeDevices: {
      list: (o) => json('homeDevices.list', o),
      get: (device, o) => json('homeDevices.get', { ...o, params: { device } }),
      create: (device, o) => json('homeDevices.create', { ...o, body: device }),
      update: (device, patch, o) => json('homeDevices.update', { ...o, params: { device }, body: patch }),
      remove: async (device, o) => {
        await json<void>('homeDevices.remove', { ...o, params: { device } });
      },
      override: (device, override, o) =>
        json('homeDevices.override', { ...o, params: { device }, body: override ?? {} }),
      clearOverride: (device, o) => json('homeDevices.clearOverride', { ...o, params: { device } }),
    },
    async *events(o = {}) {
      // the stream is ours to end when the caller leaves the loop
      const controller = new AbortController();
      const signal = o.signal ? AbortSignal.any([o.signal, controller.signal]) : controller.signal;
      try {
        const response = await send('events', {
          signal,
          query: { types: o.types?.length ? o.types : undefined },
          stream: true,
        });
        o.onOpen?.();
        if (!response.body) return;
        try {
          for await (const message of readSse(response.body)) {
            if (message.event === 'message') continue;
            yield JSON.parse(message.data) as ServerEvent;
          }
        } catch (err) {
          if (!signal.aborted) throw err;
        }
      } finally {
        controller.abort();
      }
    },
    openai: {
      files: {
        create: (content, file = {}, o) =>
          json('openai.files.create', { ...o, form: uploadForm(content, file.filename ?? 'batch.jsonl') }),
        get: (fileId, o) => json('openai.files.get', { ...o, params: { file_id: fileId } }),
        content: async (fileId, o) =>
          (await send('openai.files.content', { ...o, params: { file_id: fileId } })).text(),
      },
      batches: {
        create: (batch, o) => json('openai.batches.create', { ...o, body: batch }),
        list: (query = {}, o) => json('openai.batches.list', { ...o, query: { ...query } }),
        get: (batchId, o) => json('openai.batches.get', { ...o, params: { batch_id: batchId } }),
        cancel: (batchId, o) =>
          json('openai.batches.cancel', { ...o, params: { batch_id: batchId }, body: {} }),
      },
    },
  };
}

/** The problem details of an error answer; made up from the status when the body is not one. */
async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  const fallback: Problem = {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    ...(text ? { detail: text.slice(0, 500) } : {}),
  };
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return fallback;
  try {
    const body = JSON.parse(text) as Partial<Problem> & { error?: { message?: unknown; param?: unknown } };
    // the OpenAI-compatible gateway answers errors in OpenAI's shape
    if (body?.error && typeof body.error.message === 'string') {
      const { message, param } = body.error;
      return {
        ...fallback,
        detail: message,
        ...(typeof param === 'string' ? { errors: [{ path: param, message }] } : {}),
      };
    }
    if (typeof body?.title !== 'string') return fallback;
    return {
      type: typeof body.type === 'string' ? body.type : 'about:blank',
      title: body.title,
      status: typeof body.status === 'number' ? body.status : response.status,
      ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
      ...(Array.isArray(body.errors) ? { errors: body.errors } : {}),
    };
  } catch {
    return fallback;
  }
}
