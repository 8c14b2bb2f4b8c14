import { parseUrl, sendJson, sendText, startServer, type TestServer } from './http-server.ts';

/**
 * Home Assistant's REST API (https://developers.home-assistant.io/docs/api/rest/) over a table of entities:
 * GET /api/states/<entity_id> (404 `{"message":"Entity not found."}` for an unknown one) and
 * POST /api/services/<domain>/<service> with `{entity_id, ...}`, answering the states it changed. Every request
 * needs `Authorization: Bearer <token>` (401 otherwise, as Home Assistant answers).
 */

export interface EntityState {
  state: string;
  attributes: Record<string, unknown>;
}

export interface HomeAssistantDouble extends TestServer {
  entities: Map<string, EntityState>;
  token: string;
  /** services called, in order: `switch.turn_on {"entity_id":"switch.x"}` */
  calls: string[];
}

const SERVICES: Record<string, (e: EntityState, data: Record<string, unknown>) => void> = {
  turn_on: (e) => {
    e.state = 'on';
  },
  turn_off: (e) => {
    e.state = 'off';
  },
  set_operation_mode: (e, d) => {
    e.state = String(d.operation_mode);
    e.attributes.operation_mode = d.operation_mode;
  },
  set_preset_mode: (e, d) => {
    e.attributes.preset_mode = d.preset_mode;
  },
  set_value: (e, d) => {
    e.state = String(d.value);
  },
};

export async function startHomeAssistant(token = 'ha-long-lived-token'): Promise<HomeAssistantDouble> {
  const double = { entities: new Map(), token, calls: [] } as unknown as HomeAssistantDouble;
  const stateOf = (id: string, e: EntityState) => ({
    entity_id: id,
    state: e.state,
    attributes: e.attributes,
    last_changed: '2026-01-01T00:00:00+00:00',
    last_updated: '2026-01-01T00:00:00+00:00',
    context: { id: '01H', parent_id: null, user_id: null },
  });
  const server = await startServer((rec, res) => {
    if (rec.headers.authorization !== `Bearer ${double.token}`)
      return sendText(res, 401, '401: Unauthorized');
    const path = parseUrl(rec).pathname;
    const state = /^\/api\/states\/([^/]+)$/.exec(path);
    if (state && rec.method === 'GET') {
      const id = decodeURIComponent(state[1]);
      const e = double.entities.get(id);
      return e ? sendJson(res, 200, stateOf(id, e)) : sendJson(res, 404, { message: 'Entity not found.' });
    }
    const service = /^\/api\/services\/([a-z_]+)\/([a-z_]+)$/.exec(path);
    if (service && rec.method === 'POST') {
      const data = JSON.parse(rec.body || '{}') as Record<string, unknown>;
      const id = String(data.entity_id);
      const e = double.entities.get(id);
      const apply = SERVICES[service[2]];
      if (!apply) return sendJson(res, 400, { message: `Service ${service[1]}.${service[2]} not found.` });
      double.calls.push(`${service[1]}.${service[2]} ${rec.body}`);
      if (!e || id.split('.')[0] !== service[1]) return sendJson(res, 200, []);
      apply(e, data);
      return sendJson(res, 200, [stateOf(id, e)]);
    }
    return sendJson(res, 404, { message: 'Not found' });
  });
  return Object.assign(double, server);
}
