import { createHash } from 'node:crypto';
import { parseUrl, type Recorded, sendJson, startServer, type TestServer } from './http-server.ts';

/**
 * A Shelly Gen2 device's HTTP RPC, as documented at https://shelly-api-docs.shelly.cloud/gen2/:
 * GET /rpc/Switch.GetStatus?id=N -> { id, source, output, apower, voltage, current, aenergy, temperature },
 * GET /rpc/Switch.Set?id=N&on=true|false -> { was_on }. With a password, every request needs a SHA-256
 * HTTP digest (RFC 7616, qop=auth, user admin); without one the device answers 401 with the challenge.
 */

export interface ShellyDouble extends TestServer {
  switches: { output: boolean; apowerW: number }[];
  /** the device id, also the digest realm */
  deviceId: string;
  password?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function digestValid(rec: Recorded, realm: string, password: string, nonce: string): boolean {
  const header = String(rec.headers.authorization ?? '');
  if (!header.startsWith('Digest ')) return false;
  const f: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) f[m[1]] = m[2] ?? m[3];
  if (f.username !== 'admin' || f.realm !== realm || f.nonce !== nonce || f.uri !== rec.url) return false;
  if (f.algorithm !== 'SHA-256' || f.qop !== 'auth') return false;
  const ha1 = sha256(`admin:${realm}:${password}`);
  const ha2 = sha256(`${rec.method}:${f.uri}`);
  return f.response === sha256(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`);
}

export async function startShelly(
  options: { password?: string; switches?: number } = {},
): Promise<ShellyDouble> {
  const deviceId = 'shellyplus1pm-a8032ab1c2d3';
  const nonce = String(Math.floor(Date.now() / 1000));
  const switches = Array.from({ length: options.switches ?? 1 }, () => ({ output: false, apowerW: 0 }));
  const double = { switches, deviceId, password: options.password } as ShellyDouble;
  const server = await startServer((rec, res) => {
    if (double.password !== undefined && !digestValid(rec, deviceId, double.password, nonce)) {
      res.writeHead(401, {
        'www-authenticate': `Digest qop="auth", realm="${deviceId}", nonce="${nonce}", algorithm=SHA-256`,
      });
      res.end();
      return;
    }
    const url = parseUrl(rec);
    const method = url.pathname.replace(/^\/rpc\//, '');
    const sw = switches[Number(url.searchParams.get('id') ?? 0)];
    if (!sw) return sendJson(res, 500, { code: -105, message: 'Argument id, value not found!' });
    if (method === 'Switch.GetStatus') {
      return sendJson(res, 200, {
        id: Number(url.searchParams.get('id') ?? 0),
        source: 'HTTP_in',
        output: sw.output,
        apower: sw.output ? sw.apowerW : 0,
        voltage: 230.1,
        current: sw.output ? sw.apowerW / 230.1 : 0,
        aenergy: { total: 1234.5, by_minute: [0, 0, 0], minute_ts: 1700000000 },
        temperature: { tC: 41.2, tF: 106.2 },
      });
    }
    if (method === 'Switch.Set') {
      const on = url.searchParams.get('on');
      if (on !== 'true' && on !== 'false')
        return sendJson(res, 500, { code: -103, message: 'Invalid argument on' });
      const wasOn = sw.output;
      sw.output = on === 'true';
      return sendJson(res, 200, { was_on: wasOn });
    }
    return sendJson(res, 404, { code: 404, message: `No handler for ${method}` });
  });
  return Object.assign(double, server);
}
