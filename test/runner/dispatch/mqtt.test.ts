import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mqttTarget } from '../../../src/core/load-input.ts';
import { DEFAULT_MQTT_URL, MqttPool, mqttPayload, runMqtt } from '../../../src/runner/dispatch/mqtt.ts';
import type { MqttTarget } from '../../../src/runner/dispatch/types.ts';
import { closedPort, context, contextMessage, T0 } from './helpers.ts';

/** The local Mosquitto (`mosquitto -d -c /etc/mosquitto/mosquitto.conf`; .ci/run starts it in CI). */
const BROKER = process.env.GRIDSHIFT_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const NOW_MS = T0 - 60_000;
const nowMs = () => NOW_MS;

interface Received {
  topic: string;
  payload: Record<string, unknown>;
  qos: number;
  retain: boolean;
}

let subscriber: MqttClient;
const inbox = new Map<string, Received[]>();
const waiters = new Map<string, () => void>();

beforeAll(async () => {
  subscriber = await connectAsync(BROKER, { clientId: `gridshift-test-sub-${randomUUID().slice(0, 8)}` });
  subscriber.on('message', (topic, payload, packet) => {
    const list = inbox.get(topic) ?? [];
    list.push({
      topic,
      payload: JSON.parse(payload.toString('utf8')),
      qos: packet.qos,
      retain: packet.retain,
    });
    inbox.set(topic, list);
    waiters.get(topic)?.();
  });
});
afterAll(async () => {
  await subscriber?.endAsync();
});

const pools: MqttPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function newPool(env: NodeJS.ProcessEnv = { GRIDSHIFT_MQTT_URL: BROKER }): MqttPool {
  const pool = new MqttPool({ env });
  pools.push(pool);
  return pool;
}

/** A unique topic the subscriber listens on, at QoS 1. */
async function freshTopic(): Promise<string> {
  const topic = `gridshift-test/${randomUUID()}`;
  await subscriber.subscribeAsync(topic, { qos: 1 });
  return topic;
}

function received(topic: string, count = 1): Promise<Received[]> {
  return new Promise((resolve) => {
    const check = () => {
      const list = inbox.get(topic) ?? [];
      if (list.length >= count) resolve(list);
    };
    waiters.set(topic, check);
    check();
  });
}

/** A TCP server that accepts connections and never answers: a broker that hangs. */
async function silentBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('runMqtt against the local broker', () => {
  it('publishes the attempt with QoS 1 and succeeds once the broker acknowledged it', async () => {
    const topic = await freshTopic();
    const target: MqttTarget = { kind: 'mqtt', topic, payload: { program: 'eco', tempC: 55 } };
    const out = await runMqtt(target, context(), newPool(), { nowMs });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    const [msg] = await received(topic);
    expect(msg.qos).toBe(1);
    expect(msg.retain).toBe(false);
    expect(msg.payload).toEqual({ ...contextMessage('2025-04-01T01:59:00.000Z'), program: 'eco', tempC: 55 });
  });

  it('publishes with the QoS the target asks for', async () => {
    const topic = await freshTopic();
    const out = await runMqtt({ kind: 'mqtt', topic, qos: 0 }, context(), newPool(), { nowMs });
    expect(out.ok).toBe(true);
    const [msg] = await received(topic);
    expect(msg.qos).toBe(0);
  });

  it('reuses one connection per broker across dispatches', async () => {
    const topic = await freshTopic();
    const pool = newPool();
    const first = pool.client(pool.brokerUrl({}));
    for (const attempt of [1, 2, 3]) {
      const out = await runMqtt({ kind: 'mqtt', topic, url: BROKER }, context({ attempt }), pool, { nowMs });
      expect(out.ok).toBe(true);
    }
    expect(pool.size).toBe(1);
    expect(pool.client(BROKER)).toBe(first);
    const msgs = await received(topic, 3);
    expect(msgs.map((m) => m.payload.attempt)).toEqual([1, 2, 3]);
    await pool.close();
    expect(pool.size).toBe(0);
  });

  it('fails within the time limit when nothing listens on the broker port', async () => {
    const url = `mqtt://127.0.0.1:${await closedPort()}`;
    const pool = newPool();
    const out = await runMqtt(
      { kind: 'mqtt', topic: 'gridshift-test/x', url, timeoutSec: 2 },
      context(),
      pool,
    );
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/^could not connect: .*ECONNREFUSED/);
    expect(out.error).toContain(`(${url}, topic gridshift-test/x)`);
    // the broken connection is not kept
    expect(pool.size).toBe(0);
  });

  it('times out on a broker that accepts the connection but never answers', async () => {
    const broker = await silentBroker();
    try {
      const pool = newPool();
      const target: MqttTarget = {
        kind: 'mqtt',
        topic: 'gridshift-test/x',
        url: broker.url,
        timeoutSec: 0.5,
      };
      const out = await runMqtt(target, context(), pool);
      expect(out).toMatchObject({ ok: false, timedOut: true });
      expect(out.error).toBe(`timed out after 0.5 s (${broker.url}, topic gridshift-test/x)`);
      expect(pool.size).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('stops waiting when the dispatch is aborted', async () => {
    const broker = await silentBroker();
    try {
      const controller = new AbortController();
      const target: MqttTarget = { kind: 'mqtt', topic: 'gridshift-test/x', url: broker.url };
      const pending = runMqtt(target, context({ signal: controller.signal }), newPool());
      controller.abort();
      const out = await pending;
      expect(out).toMatchObject({ ok: false, aborted: true });
    } finally {
      await broker.close();
    }
  });

  it('does not publish when the signal is already aborted', async () => {
    const topic = await freshTopic();
    const controller = new AbortController();
    controller.abort();
    const pool = newPool();
    const out = await runMqtt({ kind: 'mqtt', topic }, context({ signal: controller.signal }), pool);
    expect(out).toMatchObject({ ok: false, aborted: true });
    expect(pool.size).toBe(0);
    // a later message on the same topic arrives first: the aborted one was never sent
    await runMqtt({ kind: 'mqtt', topic }, context({ attempt: 7 }), pool);
    const [msg] = await received(topic);
    expect(msg.payload.attempt).toBe(7);
  });
});

describe('broker and payload', () => {
  it('takes the broker from the target, then GRIDSHIFT_MQTT_URL, then the local default', () => {
    const pool = new MqttPool({ env: { GRIDSHIFT_MQTT_URL: 'mqtts://broker.example:8883' } });
    expect(pool.brokerUrl({ url: 'mqtt://other:1883' })).toBe('mqtt://other:1883');
    expect(pool.brokerUrl({})).toBe('mqtts://broker.example:8883');
    expect(new MqttPool({ env: {} }).brokerUrl({})).toBe(DEFAULT_MQTT_URL);
  });

  it('lets the target payload add fields but never replace loadId or attempt', () => {
    const target = { kind: 'mqtt', topic: 't', payload: { name: 'dishwasher', loadId: 'x', attempt: 99 } };
    const message = mqttPayload(target as MqttTarget, context(), NOW_MS);
    expect(message.loadId).toBe('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b');
    expect(message.attempt).toBe(2);
    expect(message.name).toBe('dishwasher');
  });

  it('the target schema refuses wildcard topics, other URL schemes and payloads setting loadId', () => {
    const ok = mqttTarget.safeParse({
      kind: 'mqtt',
      topic: 'home/dishwasher/start',
      url: 'mqtt://127.0.0.1:1883',
    });
    expect(ok.success).toBe(true);
    const wildcard = mqttTarget.safeParse({ kind: 'mqtt', topic: 'home/+/start' });
    expect(wildcard.error?.issues[0].message).toBe('a publish topic may not contain + or #');
    expect(mqttTarget.safeParse({ kind: 'mqtt', topic: 'home/#' }).success).toBe(false);
    expect(mqttTarget.safeParse({ kind: 'mqtt', topic: 't', url: 'http://broker:1883' }).success).toBe(false);
    const spoof = mqttTarget.safeParse({ kind: 'mqtt', topic: 't', payload: { attempt: 1 } });
    expect(spoof.error?.issues[0].message).toBe(
      'payload may not set loadId or attempt (gridshift sets them)',
    );
  });
});
