/**
 * Every operation the client calls, by method name: its HTTP method and path template as /openapi.json
 * names them. The client builds its requests from this table, and test/client checks it against the
 * OpenAPI document of a running server in both directions, so the client and the API cannot drift apart.
 */
export const OPERATIONS = {
  'health.live': ['GET', '/healthz'],
  'health.ready': ['GET', '/readyz'],
  'loads.create': ['POST', '/v1/loads'],
  'loads.preview': ['POST', '/v1/loads/preview'],
  'loads.list': ['GET', '/v1/loads'],
  'loads.listAll': ['GET', '/v1/loads'],
  'loads.get': ['GET', '/v1/loads/{id}'],
  'loads.cancel': ['POST', '/v1/loads/{id}/cancel'],
  'loads.runNow': ['POST', '/v1/loads/{id}/run-now'],
  'loads.retry': ['POST', '/v1/loads/{id}/retry'],
  'loads.purge': ['POST', '/v1/loads/purge'],
  'recurring.list': ['GET', '/v1/recurring'],
  'recurring.cancel': ['POST', '/v1/recurring/{id}/cancel'],
  'signals.get': ['GET', '/v1/signals/{zone}'],
  'dashboard.get': ['GET', '/v1/dashboard'],
  'zones.list': ['GET', '/v1/zones'],
  'cloudRegions.list': ['GET', '/v1/cloud-regions'],
  'decide.now': ['POST', '/v1/decide/now'],
  'decide.modelTier': ['POST', '/v1/decide/model-tier'],
  'scaling.list': ['GET', '/v1/scaling'],
  'scaling.get': ['GET', '/v1/scaling/{target}'],
  'reports.get': ['GET', '/v1/reports'],
  'audit.list': ['GET', '/v1/audit'],
  'audit.export': ['GET', '/v1/audit/export'],
  'audit.verify': ['GET', '/v1/audit/verify'],
  'scheduler.status': ['GET', '/v1/scheduler'],
  'scheduler.pause': ['POST', '/v1/scheduler/pause'],
  'scheduler.resume': ['POST', '/v1/scheduler/resume'],
  'scheduler.replan': ['POST', '/v1/scheduler/replan'],
  'tokens.list': ['GET', '/v1/tokens'],
  'tokens.create': ['POST', '/v1/tokens'],
  'tokens.revoke': ['DELETE', '/v1/tokens/{id}'],
  events: ['GET', '/v1/events'],
  'openai.files.create': ['POST', '/openai/v1/files'],
  'openai.files.get': ['GET', '/openai/v1/files/{file_id}'],
  'openai.files.content': ['GET', '/openai/v1/files/{file_id}/content'],
  'openai.batches.create': ['POST', '/openai/v1/batches'],
  'openai.batches.list': ['GET', '/openai/v1/batches'],
  'openai.batches.get': ['GET', '/openai/v1/batches/{batch_id}'],
  'openai.batches.cancel': ['POST', '/openai/v1/batches/{batch_id}/cancel'],
} as const satisfies Record<string, readonly ['GET' | 'POST' | 'DELETE', string]>;

export type OperationName = keyof typeof OPERATIONS;
