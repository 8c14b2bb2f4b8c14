export { type ApiContext, createContext } from './context.ts';
export { type LoggerSettings, REDACT_PATHS } from './logger.ts';
export { allows, type Principal, type RouteScope } from './plugins/auth.ts';
export { ApiError, PROBLEM_TYPES, type Problem } from './problem.ts';
export type { CarbonAwareOptions } from './routes/carbon-aware.ts';
export { EVENT_TYPES, type EventsOptions } from './routes/events.ts';
export type { ReadinessOptions } from './routes/health.ts';
export { buildServer, DEFAULT_BODY_LIMIT, type ServerDeps } from './server.ts';
