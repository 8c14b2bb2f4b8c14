import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  digestAuthorization,
  parseDigestChallenge,
  shellyAdapter,
} from '../../../src/home/adapters/shelly.ts';
import { DeviceError } from '../../../src/home/adapters/types.ts';
import { closedPort } from '../../helpers/closed-port.ts';
import { startServer, type TestServer } from '../../helpers/http-server.ts';
import { type ShellyDouble, startShelly } from '../../helpers/shelly-rpc.ts';

const plug = { name: 'kettle', ratedPowerW: 2000 };
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function shelly(options?: Parameters<typeof startShelly>[0]): Promise<ShellyDouble> {
  const s = await startShelly(options);
  servers.push(s);
  return s;
}

async function failure(p: Promise<unknown>): Promise<DeviceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('Shelly Gen2 HTTP RPC adapter', () => {
  it('reads output and apower, and switches with Switch.Set', async () => {
    const dev = await shelly();
    dev.switches[0].apowerW = 1873.4;
    const a = shellyAdapter(plug, { type: 'shelly', url: dev.url }, { nowMs: () => 42 });
    expect(await a.readState()).toEqual({ on: false, powerW: 0, seenAtMs: 42 });
    await a.turnOn();
    expect(dev.switches[0].output).toBe(true);
    expect(await a.readState()).toEqual({ on: true, powerW: 1873.4, seenAtMs: 42 });
    await a.turnOff();
    expect(dev.switches[0].output).toBe(false);
    expect(dev.requests.map((r) => r.url)).toEqual([
      '/rpc/Switch.GetStatus?id=0',
      '/rpc/Switch.Set?id=0&on=true',
      '/rpc/Switch.GetStatus?id=0',
      '/rpc/Switch.Set?id=0&on=false',
    ]);
  });

  it('addresses the configured switch id', async () => {
    const dev = await shelly({ switches: 2 });
    const a = shellyAdapter(plug, { type: 'shelly', url: dev.url, switchId: 1 });
    await a.turnOn();
    expect(dev.switches.map((s) => s.output)).toEqual([false, true]);
  });

  it('answers the digest challenge with the password from the named variable', async () => {
    const dev = await shelly({ password: 's3cret' });
    const a = shellyAdapter(
      plug,
      { type: 'shelly', url: dev.url, passwordEnv: 'PLUG_PASSWORD' },
      { env: { PLUG_PASSWORD: 's3cret' } },
    );
    await a.turnOn();
    expect(dev.switches[0].output).toBe(true);
    expect(dev.requests.map((r) => r.headers.authorization === undefined)).toEqual([true, false]);
  });

  it('reports 401 clearly: no password configured, variable unset, password refused', async () => {
    const dev = await shelly({ password: 's3cret' });
    const none = await failure(shellyAdapter(plug, { type: 'shelly', url: dev.url }).readState());
    expect(none.kind).toBe('unauthorized');
    expect(none.status).toBe(401);
    expect(none.message).toContain('device "kettle"');
    expect(none.message).toContain(`shelly ${dev.url} switch 0`);
    expect(none.message).toContain('passwordEnv');

    const unset = await failure(
      shellyAdapter(plug, { type: 'shelly', url: dev.url, passwordEnv: 'PW' }, { env: {} }).readState(),
    );
    expect(unset.message).toContain('PW is not set');

    const wrong = await failure(
      shellyAdapter(
        plug,
        { type: 'shelly', url: dev.url, passwordEnv: 'PW' },
        { env: { PW: 'nope' } },
      ).turnOn(),
    );
    expect(wrong.kind).toBe('unauthorized');
    expect(wrong.message).toContain('refused the password in PW');
    expect(dev.switches[0].output).toBe(false);
  });

  it('computes the RFC 7616 SHA-256 digest (hand-computed)', () => {
    const challenge = parseDigestChallenge(
      'Digest qop="auth", realm="shellyplus1-a", nonce="1700000000", algorithm=SHA-256',
    );
    expect(challenge).toEqual({
      qop: 'auth',
      realm: 'shellyplus1-a',
      nonce: '1700000000',
      algorithm: 'SHA-256',
    });
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    const header = digestAuthorization(challenge as Record<string, string>, {
      method: 'GET',
      uri: '/rpc/Switch.GetStatus?id=0',
      user: 'admin',
      password: 'pw',
      cnonce: 'abc',
      nc: 1,
    });
    const expected = h(
      `${h('admin:shellyplus1-a:pw')}:1700000000:00000001:abc:auth:${h('GET:/rpc/Switch.GetStatus?id=0')}`,
    );
    expect(header).toContain(`response="${expected}"`);
    expect(header).toContain('nc=00000001');
    expect(parseDigestChallenge('Basic realm="x"')).toBeNull();
  });

  it('times out on a device that does not answer', async () => {
    const slow = await startServer(() => new Promise(() => {}));
    servers.push(slow);
    const err = await failure(
      shellyAdapter(plug, { type: 'shelly', url: slow.url, timeoutMs: 200 }).readState(),
    );
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('no answer within 200 ms');
  });

  it('is unreachable on a closed port', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await failure(shellyAdapter(plug, { type: 'shelly', url }).turnOff());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('device "kettle"');
  });

  it('fails on an RPC error or a body that is not the documented shape', async () => {
    const dev = await shelly();
    const err = await failure(shellyAdapter(plug, { type: 'shelly', url: dev.url, switchId: 3 }).readState());
    expect(err.kind).toBe('failed');
    expect(err.message).toContain('answered 500');
    const odd = await startServer((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ison":true}');
    });
    servers.push(odd);
    const gen1 = await failure(shellyAdapter(plug, { type: 'shelly', url: odd.url }).readState());
    expect(gen1.message).toContain('without a boolean output');
  });

  it('has no modes and no power limit', async () => {
    const dev = await shelly();
    const a = shellyAdapter(plug, { type: 'shelly', url: dev.url });
    expect((await failure(a.setMode('eco'))).kind).toBe('unsupported');
    expect((await failure(a.setPowerLimit(50))).kind).toBe('unsupported');
    expect(dev.requests).toHaveLength(0);
  });
});
