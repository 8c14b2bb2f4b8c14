import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { GridshiftConfig } from '../core/config.ts';
import type { HomeController } from '../home/controller.ts';
import type { SchedulerService } from '../runner/service.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { Db } from '../store/db.ts';
import { normaliseCarbonAwareUrl } from './carbon-aware-url.ts';
import { createContext } from './context.ts';
import { DASHBOARD_DIR, dashboardFiles } from './dashboard-files.ts';
import { type LoggerSettings, loggerOptions } from './logger.ts';
import { documentOfTag, transform, transformObject } from './openapi.ts';
import { authPlugin } from './plugins/auth.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { requestInputPlugin } from './plugins/request-input.ts';
import { auditRoutes } from './routes/audit.ts';
import { type CarbonAwareOptions, carbonAwareRoutes } from './routes/carbon-aware.ts';
import { clusterRoutes } from './routes/cluster.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { decideRoutes } from './routes/decide.ts';
import { type EventsOptions, eventRoutes } from './routes/events.ts';
import { gridEventRoutes } from './routes/grid-events.ts';
import { healthRoutes, type ReadinessOptions } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';
import { homeDeviceRoutes } from './routes/home-devices.ts';
import { loadRoutes } from './routes/loads.ts';
import { recurringRoutes } from './routes/recurring.ts';
import { reportRoutes } from './routes/reports.ts';
import { scalingRoutes } from './routes/scaling.ts';
import { schedulerRoutes } from './routes/scheduler.ts';
import { signalRoutes } from './routes/signals.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { zoneRoutes } from './routes/zones.ts';

/** What the HTTP API is built on. Only `registry` and `store` are required. */
export interface ServerDeps {
  /** the scheduler behind /v1/loads, reports, audit, scheduler and events; without it those answer 503 */
  scheduler?: SchedulerService;
  /** grid signals (signals, decide, Carbon Aware SDK routes, price currency of the metrics) */
  registry: SignalRegistry;
  /** the store: API tokens, readiness, the audit export and verification */
  store: Db;
  /** the home controller of this process (POST /v1/home/replan); the home's plans are read from the store */
  home?: HomeController;
  /** the configuration (zone metrics and sources); default the registry's */
  config?: GridshiftConfig;
  auth?: {
    /** allow read routes without a token; default false. Writes always need a token. */
    openRead?: boolean;
    /** who may read /metrics: `public` (default) or holders of a read token */
    metrics?: 'public' | 'read';
    /** reuse a successful token check for this long, ms (0: ask the store on every request); default 5 s */
    tokenCacheMs?: number;
  };
  /**
   * an API answering this process's own calls through `inject`, never listening (the CLI's direct mode): a
   * request without a token is the process's operator's (admin), and there is no OpenAPI document, no
   * docs and no /metrics, since nothing browses or scrapes it
   */
  inProcess?: boolean;
  /** pino settings, or false for no logs; default info to stdout */
  logger?: LoggerSettings | false;
  /** largest request body, bytes; default 1 MiB */
  bodyLimit?: number;
  /**
   * the clock of a server without a scheduler (tests pin it); default Date.now. A server with a scheduler
   * reads the scheduler's clock, so that the API and the scheduler agree on what "now" is.
   */
  now?: () => number;
  /** readiness: whether this process's dispatch queue runs (asked when the scheduler has the worker role) */
  readiness?: ReadinessOptions;
  /** Server-Sent Events keep-alive and retry */
  events?: EventsOptions;
  /** Carbon Aware SDK routes: forecast length, longest range */
  carbonAware?: CarbonAwareOptions;
  metrics?: {
    /** fill this Prometheus registry instead of a new one (to add the embedding process's own metrics) */
    registry?: Registry;
    /** waits before asking again for the accounting of a load that just succeeded, ms */
    accountingRetryMs?: number[];
  };
  /** the API's version in the OpenAPI document; default 0.1.0 */
  version?: string;
  /**
   * serve the web dashboard at `/` from its build (default the package's web/dist); off by default, and
   * always off for an in-process API. Without a build, `/` answers a page saying how to make one.
   */
  dashboard?: { dir?: string };
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * The gridshift HTTP API as a Fastify instance, not yet listening: call `listen` on it (or `inject` in
 * tests). More routes may be registered before that; a route that declares no `config.scope` needs an
 * admin token. Routes: /v1 (loads, signals, zones, decide, reports, audit, scheduler, events, tokens), the
 * Carbon Aware SDK's /emissions and /locations, /healthz, /readyz, /metrics, /openapi.json and /docs; with
 * `dashboard`, the web dashboard at `/`.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const ctx = createContext(deps);
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // SSE streams are ended by the events plugin; idle keep-alive sockets must not hold up close()
    forceCloseConnections: 'idle',
    // the Carbon Aware SDK's routes match paths and query keys whatever their case, as ASP.NET does
    rewriteUrl: (req) => normaliseCarbonAwareUrl(req.url ?? '/'),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const dashboard =
    deps.dashboard && !deps.inProcess ? dashboardFiles(deps.dashboard.dir ?? DASHBOARD_DIR) : undefined;
  await app.register(errorsPlugin, { dashboard });
  await app.register(requestInputPlugin);
  await app.register(authPlugin, {
    store: deps.store,
    openRead: deps.auth?.openRead ?? false,
    localOperator: deps.inProcess === true,
    metrics: deps.auth?.metrics ?? 'public',
    tokenCacheMs: deps.auth?.tokenCacheMs,
    nowMs: ctx.nowMs,
  });

  if (!deps.inProcess) await registerDocuments(app, deps.version);
  await app.register(healthRoutes, { ctx, readiness: deps.readiness ?? {} });
  let metricsRegistry: Registry | undefined;
  if (!deps.inProcess) {
    const [{ metricsPlugin }, { Registry }] = await Promise.all([
      import('./plugins/metrics.ts'),
      import('prom-client'),
    ]);
    metricsRegistry = deps.metrics?.registry ?? new Registry();
    await app.register(metricsPlugin, {
      scheduler: deps.scheduler,
      registry: deps.registry,
      nowMs: ctx.nowMs,
      metricsRegistry,
      accountingRetryMs: deps.metrics?.accountingRetryMs,
    });
  }
  await app.register(zoneRoutes, { ctx });
  await app.register(signalRoutes, { ctx });
  await app.register(dashboardRoutes, { ctx });
  await app.register(decideRoutes, { ctx });
  await app.register(scalingRoutes, { ctx });
  await app.register(clusterRoutes, { ctx });
  await app.register(homeRoutes, { ctx });
  await app.register(gridEventRoutes, { ctx });
  await app.register(loadRoutes, { ctx });
  await app.register(recurringRoutes, { ctx });
  await app.register(reportRoutes, { ctx });
  await app.register(auditRoutes, { ctx });
  await app.register(schedulerRoutes, { ctx });
  await app.register(eventRoutes, { ctx, options: deps.events ?? {} });
  await app.register(tokenRoutes, { ctx });
  await app.register(homeDeviceRoutes, { ctx });
  await app.register(carbonAwareRoutes, { ctx, options: deps.carbonAware ?? {} });
  if (ctx.config.openai) {
    const { openaiRoutes } = await import('./routes/openai.ts');
    await app.register(openaiRoutes, { ctx, gateway: ctx.config.openai, metricsRegistry });
  }
  return app;
}

/** /openapi.json, /docs, and the Carbon Aware SDK's own copies of its part of the document. */
async function registerDocuments(app: FastifyInstance, version: string | undefined): Promise<void> {
  // loaded here: an in-process API has no documents, and these modules take a while to load
  const [{ default: swagger }, { default: swaggerUi }, { stringify: stringifyYaml }] = await Promise.all([
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
    import('yaml'),
  ]);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'gridshift',
        version: version ?? '0.1.0',
        description:
          'Run flexible electrical loads when the grid is cleanest and cheapest, and prove what it saved. ' +
          'Authenticate with "Authorization: Bearer <token>" (`gridshift token create`); scopes read, write, admin.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (gs_...)' },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'loads', description: 'submit, list and operate loads' },
        { name: 'signals', description: 'grid signals per zone' },
        { name: 'zones', description: 'zones and cloud regions' },
        { name: 'decide', description: 'decisions in the moment' },
        { name: 'dashboard', description: "the web dashboard's pages, one request each" },
        { name: 'reports', description: 'what ran and what it saved' },
        { name: 'audit', description: 'the hash-chained decision log' },
        { name: 'scheduler', description: 'status, pause and resume' },
        { name: 'scaling', description: 'replica caps by carbon intensity' },
        { name: 'home', description: 'the home planned ahead (plan, setpoints, readings) and its devices' },
        {
          name: 'grid-events',
          description: 'peak alerts, frequency drops, voltage anomalies, load shedding',
        },
        { name: 'events', description: 'Server-Sent Events' },
        { name: 'tokens', description: 'API tokens (admin)' },
        { name: 'health', description: 'liveness, readiness, metrics' },
        {
          name: 'openai',
          description: 'OpenAI-compatible gateway: tiers by the grid, batches in clean windows',
        },
        { name: 'carbon-aware-sdk', description: 'Green Software Foundation Carbon Aware SDK Web API' },
      ],
    },
    transform,
    transformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(app.swagger()),
  );
  // where the Carbon Aware SDK serves its OpenAPI document (the file its client generators read, and
  // Swashbuckle's default): its routes only, so that a client generated from it has the SDK's API
  const sdkDocument = () => documentOfTag(app.swagger(), 'carbon-aware-sdk');
  app.get(
    '/api/v1/swagger.yaml',
    { config: { scope: 'public' }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type('application/yaml; charset=utf-8').send(stringifyYaml(sdkDocument())),
  );
  app.get(
    '/swagger/v1/swagger.json',
    { config: { scope: 'public' }, schema: { hide: true } },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(sdkDocument()),
  );
}
