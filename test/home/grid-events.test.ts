import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { InputError } from '../../src/core/errors.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { type GridEvent, isActive, parseGridEvent, worstActive } from '../../src/home/grid-events.ts';
import { frequencyOf, NO_DROP, readFrequency } from '../../src/home/grid-sources/meter.ts';
import { pollFeedOnce, startGridWatch } from '../../src/home/grid-watch.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import type { Store } from '../../src/store/db.ts';
import { listGridEvents } from '../../src/store/grid-events.ts';
import { bearer, testRegistry, tokensFor } from '../api/helpers.ts';
import { sendJson, startServer, type TestServer } from '../helpers/http-server.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const BROKER = 'mqtt://127.0.0.1:1883';

describe('parseGridEvent', () => {
  it('takes `type` for `kind`, times as ISO or epoch ms, zones by any name, and names the field at fault', () => {
    expect(
      parseGridEvent(
        {
          id: 'a1',
          type: 'peak_alert',
          severity: 'warning',
          start: '2026-06-01T13:00:00+02:00',
          end: NOW + 3_600_000,
          zone: 'germany',
          note: 'x',
        },
        'api',
        NOW,
      ),
    ).toEqual({
      kind: 'peak_alert',
      severity: 'warning',
      startMs: NOW - 3_600_000,
      endMs: NOW + 3_600_000,
      zones: ['DE'],
      source: 'api',
      externalId: 'a1',
      raw: {
        id: 'a1',
        type: 'peak_alert',
        severity: 'warning',
        start: '2026-06-01T13:00:00+02:00',
        end: NOW + 3_600_000,
        zone: 'germany',
        note: 'x',
      },
    });
    expect(() => parseGridEvent({ kind: 'peak_alert', severity: 'severe' }, 'api', NOW)).toThrow(
      /^severity: /,
    );
    expect(() => parseGridEvent({ severity: 'info' }, 'api', NOW)).toThrow(/^kind: give one of peak_alert/);
    expect(() =>
      parseGridEvent({ kind: 'peak_alert', severity: 'info', zones: ['Atlantis'] }, 'api', NOW),
    ).toThrow(/^zones\[0\]: /);
    expect(() =>
      parseGridEvent({ kind: 'peak_alert', severity: 'info', start: NOW, end: NOW }, 'api', NOW),
    ).toThrow(InputError);
  });

  it('finds the worst event on now for a zone; events without zones concern every zone', () => {
    const e = (
      severity: GridEvent['severity'],
      startMs: number,
      endMs: number | null,
      zones: string[],
    ): GridEvent => ({
      id: randomUUID(),
      kind: 'peak_alert',
      severity,
      startMs,
      endMs,
      zones,
      source: 'api',
      externalId: null,
      raw: {},
      receivedMs: startMs,
    });
    const everywhere = e('warning', NOW - 10, null, []);
    const fr = e('critical', NOW - 5, NOW + 10, ['FR']);
    const past = e('critical', NOW - 100, NOW, ['DE']);
    expect(isActive(past, NOW)).toBe(false); // the end is exclusive
    expect(worstActive([everywhere, fr, past], NOW, 'DE')).toBe(everywhere);
    expect(worstActive([everywhere, fr, past], NOW, 'FR')).toBe(fr);
    expect(worstActive([past], NOW)).toBeNull();
  });
});

describe('the frequency meter', () => {
  const rule = { thresholdHz: 49.8, clearHz: 49.9, zones: ['DE'] };

  it('starts a critical drop below the threshold, keeps it in the band and ends it at clearHz', () => {
    let s = readFrequency(rule, NO_DROP, 50.01, 1);
    expect(s.record).toBeUndefined();
    s = readFrequency(rule, s.state, 49.75, 2);
    expect(s.record).toMatchObject({
      kind: 'frequency_drop',
      severity: 'critical',
      startMs: 2,
      zones: ['DE'],
      source: 'meter',
    });
    s = readFrequency(rule, s.state, 49.85, 3); // between threshold and clear: still on
    expect(s).toEqual({ state: { dropSinceMs: 2, lowestHz: 49.75 } });
    s = readFrequency(rule, s.state, 49.7, 4); // deeper: the same event, its raw updated
    expect(s.record).toMatchObject({ startMs: 2, externalId: 'frequency-drop-2', raw: { lowestHz: 49.7 } });
    s = readFrequency(rule, s.state, 49.9, 5);
    expect(s).toEqual({ state: NO_DROP, endMs: 5 });
  });

  it('never opens a second drop while one is on, and ends each it opens only once (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 49.5, max: 50.2, noNaN: true }), { maxLength: 60 }),
        (readings) => {
          let state = NO_DROP;
          let open = false;
          readings.forEach((hz, i) => {
            const step = readFrequency(rule, state, hz, i);
            if (step.record && !open) open = true;
            else if (step.record) expect(step.record.startMs).toBe(state.dropSinceMs);
            if (step.endMs !== undefined) {
              expect(open).toBe(true);
              expect(hz).toBeGreaterThanOrEqual(rule.clearHz);
              open = false;
            }
            state = step.state;
            expect(state.dropSinceMs !== null).toBe(open);
          });
        },
      ),
    );
  });

  it('reads bare numbers and the usual JSON keys', () => {
    expect(frequencyOf('49.97')).toBe(49.97);
    expect(frequencyOf('{"frequency": 50.02}')).toBe(50.02);
    expect(frequencyOf('{"Frequency": "49.9"}')).toBe(49.9);
    expect(frequencyOf('{"power": 3}')).toBeNull();
    expect(frequencyOf('')).toBeNull();
  });
});

describe.each(BACKENDS)('grid events on the $kind store', (b) => {
  let backend: TestBackend;
  let store: Store;
  let app: FastifyInstance;
  let tokens: Awaited<ReturnType<typeof tokensFor>>;
  let clock = NOW;
  let feed: TestServer;
  let client: MqttClient;
  const topic = `gridshift-test/grid-${randomUUID().slice(0, 8)}`;
  const events: SchedulerEvent[] = [];
  const bus = { publish: (e: SchedulerEvent) => events.push(e) };

  beforeAll(async () => {
    backend = b.make();
    store = await backend.open();
    tokens = await tokensFor(store);
    app = await buildServer({ registry: testRegistry(), store, now: () => clock, logger: false });
    feed = await startServer((_r, res) => sendJson(res, 200, []));
    client = await connectAsync(BROKER, { clientId: `gridshift-test-${randomUUID().slice(0, 8)}` });
  });
  afterAll(async () => {
    await client?.endAsync();
    await feed?.close();
    await app?.close();
    await backend?.cleanup();
  });

  const post = (payload: unknown, token = tokens.admin) =>
    app.inject({
      method: 'POST',
      url: '/v1/grid-events',
      headers: bearer(token),
      payload: payload as object,
    });

  it('records a reported event, updates it by its id, lists it while on and ends it', async () => {
    const first = await post({ id: 'op-1', kind: 'peak_alert', severity: 'warning', zones: ['DE'] });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      kind: 'peak_alert',
      severity: 'warning',
      start: '2026-06-01T12:00:00Z',
      end: null,
      active: true,
      source: 'api',
    });
    const raised = await post({ id: 'op-1', kind: 'peak_alert', severity: 'critical', zones: ['DE'] });
    expect(raised.statusCode).toBe(200);
    expect(raised.json().id).toBe(first.json().id);
    const list = await app.inject({ url: '/v1/grid-events?zone=DE', headers: bearer(tokens.read) });
    expect(list.json().worst).toMatchObject({ id: first.json().id, severity: 'critical' });
    clock = NOW + 10 * MINUTE_MS;
    const ended = await app.inject({
      method: 'POST',
      url: `/v1/grid-events/${first.json().id}/end`,
      headers: bearer(tokens.admin),
    });
    expect(ended.json()).toMatchObject({ end: '2026-06-01T12:10:00Z', active: false });
    const after = await app.inject({ url: '/v1/grid-events', headers: bearer(tokens.read) });
    expect(after.json().worst).toBeNull();
    expect(after.json().events).toHaveLength(1); // ended within the last 24 h
  });

  it('refuses a bad event naming the field, and reports without the admin scope', async () => {
    const bad = await post({ kind: 'peak_alert', severity: 'critical', zones: ['Atlantis'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/^body\.zones\[0\]: /);
    expect((await post({ kind: 'peak_alert', severity: 'info' }, tokens.write)).statusCode).toBe(403);
    const missing = await app.inject({
      url: `/v1/grid-events/${randomUUID()}`,
      headers: bearer(tokens.read),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('reads events from an MQTT topic and drops from a meter topic', async () => {
    const meterTopic = `${topic}/meter`;
    const watch = startGridWatch(
      {
        mqtt: { url: BROKER, topic },
        meter: { url: BROKER, topic: meterTopic, thresholdHz: 49.8, clearHz: 49.9, zones: ['DE'] },
      },
      { store, bus, now: () => clock },
    );
    try {
      await new Promise((r) => setTimeout(r, 300)); // both subscribed
      await client.publishAsync(
        topic,
        JSON.stringify({ id: 'mq-1', kind: 'load_shedding', severity: 'critical', zones: ['FR'] }),
        { qos: 1 },
      );
      await client.publishAsync(topic, 'not json', { qos: 1 });
      for (const hz of ['50.0', '49.7', '49.85', '{"frequency": 49.95}'])
        await client.publishAsync(meterTopic, hz, { qos: 1 });
      const wait = async () => {
        for (let i = 0; i < 60; i++) {
          const all = await listGridEvents(store, clock, { endedSinceMs: 0 });
          const meter = all.find((e) => e.source === 'meter');
          if (all.some((e) => e.source === 'mqtt') && meter?.endMs !== null && meter !== undefined)
            return all;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the events did not arrive');
      };
      const all = await wait();
      expect(all.find((e) => e.source === 'mqtt')).toMatchObject({
        kind: 'load_shedding',
        zones: ['FR'],
        externalId: 'mq-1',
      });
      expect(all.find((e) => e.source === 'meter')).toMatchObject({
        kind: 'frequency_drop',
        severity: 'critical',
        zones: ['DE'],
        endMs: clock,
      });
      expect(
        events.filter((e) => e.type === 'grid.event').map((e) => (e as { change: string }).change),
      ).toContain('ended');
    } finally {
      await watch.close();
    }
  });

  it('polls a feed: records what it lists, ends what it lists no more, and says what it skipped', async () => {
    feed.handle((_r, res) =>
      sendJson(res, 200, {
        events: [
          { id: 'f-1', kind: 'voltage_anomaly', severity: 'info' },
          { id: 'f-2', severity: 'info' },
        ],
      }),
    );
    const config = { url: `${feed.url}/alerts`, intervalSec: 60, tokenEnv: 'FEED_TOKEN' };
    const first = await pollFeedOnce({ store, bus, now: () => clock }, config, { FEED_TOKEN: 'secret-1' });
    expect(first).toEqual({
      recorded: 1,
      ended: 0,
      skipped: ['[1] kind: give one of peak_alert, frequency_drop, voltage_anomaly, load_shedding'],
    });
    expect(feed.requests.at(-1)?.headers.authorization).toBe('Bearer secret-1');
    feed.handle((_r, res) => sendJson(res, 200, []));
    clock += MINUTE_MS;
    expect(await pollFeedOnce({ store, bus, now: () => clock }, config, {})).toEqual({
      recorded: 0,
      ended: 1,
      skipped: [],
    });
    feed.handle((_r, res) => sendJson(res, 503, { error: 'down' }));
    await expect(pollFeedOnce({ store, now: () => clock }, config, {})).rejects.toThrow(/HTTP 503/);
  });
});
