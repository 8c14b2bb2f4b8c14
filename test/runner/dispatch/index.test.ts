import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispatchTargetInput, dispatchTarget } from '../../../src/core/load-input.ts';
import { dispatch, MqttPool, verifySignature } from '../../../src/runner/dispatch/index.ts';
import { sendJson, startServer, type TestServer } from '../../helpers/http-server.ts';
import { context } from './helpers.ts';

const BROKER = process.env.GRIDSHIFT_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
let server: TestServer;

beforeAll(async () => {
  server = await startServer((_req, res) => sendJson(res, 200, { ok: true }));
});
afterAll(() => server.close());

describe('dispatch', () => {
  it('runs a shell target', async () => {
    const out = await dispatch(
      { kind: 'shell', command: 'echo "$GRIDSHIFT_LOAD_ID:$GRIDSHIFT_ATTEMPT"' },
      context(),
    );
    expect(out).toMatchObject({
      ok: true,
      exitCode: 0,
      outputTail: '0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b:2\n',
    });
  });

  it('passes the shell limit and grace period from the options', async () => {
    const out = await dispatch({ kind: 'shell', command: 'sleep 30' }, context(), {
      shellTimeoutMs: 100,
      killGraceMs: 100,
    });
    expect(out).toMatchObject({ ok: false, timedOut: true });
  });

  it('posts a webhook signed with the secret from the given environment', async () => {
    const out = await dispatch({ kind: 'webhook', url: `${server.url}/hook` }, context(), {
      env: { GRIDSHIFT_WEBHOOK_SECRET: 's3cret' },
    });
    expect(out).toMatchObject({ ok: true, status: 200, signed: true });
    const req = server.requests.at(-1)!;
    expect(verifySignature('s3cret', req.headers['x-gridshift-signature'] as string, req.body)).toBe(true);
  });

  it('publishes to MQTT through the given pool, or through a connection of its own', async () => {
    const topic = `gridshift-test/${randomUUID()}`;
    const sub = await connectAsync(BROKER);
    try {
      await sub.subscribeAsync(topic, { qos: 1 });
      const got: number[] = [];
      const two = new Promise<void>((resolve) => {
        sub.on('message', (_t, payload) => {
          got.push(JSON.parse(payload.toString()).attempt);
          if (got.length === 2) resolve();
        });
      });
      const env = { GRIDSHIFT_MQTT_URL: BROKER };
      const pool = new MqttPool({ env });
      expect(
        await dispatch({ kind: 'mqtt', topic }, context({ attempt: 1 }), { mqttPool: pool }),
      ).toMatchObject({
        ok: true,
      });
      expect(pool.size).toBe(1);
      await pool.close();
      expect(await dispatch({ kind: 'mqtt', topic }, context({ attempt: 2 }), { env })).toMatchObject({
        ok: true,
      });
      await two;
      expect(got.sort()).toEqual([1, 2]);
    } finally {
      await sub.endAsync();
    }
  });

  it('reports success for a none target without doing anything', async () => {
    expect(await dispatch({ kind: 'none' }, context())).toEqual({ ok: true, durationMs: 0 });
  });

  it('turns an unknown kind into a failed outcome instead of throwing', async () => {
    const out = await dispatch({ kind: 'carrier-pigeon' } as unknown as DispatchTargetInput, context());
    expect(out).toEqual({ ok: false, durationMs: 0, error: 'unknown dispatch target kind "carrier-pigeon"' });
  });

  it('turns a broker URL of the wrong scheme from the environment into a failed outcome', async () => {
    const out = await dispatch({ kind: 'mqtt', topic: 't' }, context(), {
      env: { GRIDSHIFT_MQTT_URL: 'ftp://127.0.0.1:21' },
    });
    expect(out).toEqual({
      ok: false,
      durationMs: 0,
      error: 'the broker URL ftp://127.0.0.1 is not an mqtt://, mqtts://, ws:// or wss:// URL (topic t)',
    });
  });

  it('accepts the documented examples of each target kind', () => {
    const examples = [
      {
        kind: 'shell',
        command: 'restic backup /srv',
        cwd: '/srv',
        env: { RESTIC_REPOSITORY: '/mnt/b' },
        timeoutSec: 3600,
      },
      { kind: 'shell', command: ['python3', 'train.py', '--epochs', '3'] },
      {
        kind: 'webhook',
        url: 'https://ci.example.com/hooks/gridshift',
        secretEnv: 'CI_HOOK_SECRET',
        timeoutSec: 10,
      },
      { kind: 'mqtt', topic: 'home/dishwasher/start', payload: { program: 'eco' }, qos: 1 },
      { kind: 'none' },
    ];
    for (const e of examples) expect(dispatchTarget.safeParse(e).success, JSON.stringify(e)).toBe(true);
  });
});
