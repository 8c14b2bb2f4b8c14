/**
 * Grid events in: the one way an event is recorded (from the API or a source) and told to the rest of the
 * service as a `grid.event`, and the sources of `gridEvents` in the configuration run by `gridshift serve`.
 * These are an MQTT topic of event messages, a polled JSON feed, and a meter's frequency topic. A bad message
 * is logged and skipped; a source that goes away is connected (or polled) again.
 */
import { connect, type MqttClient } from 'mqtt';
import type { GridEventsConfig } from '../core/grid-events-config.ts';
import { resolveZone } from '../core/zones.ts';
import { errorMessage, type Log } from '../runner/context.ts';
import type { EventBus } from '../runner/events.ts';
import type { Db } from '../store/db.ts';
import { endGridEvent, listGridEvents, recordGridEvent } from '../store/grid-events.ts';
import { type GridEvent, type NewGridEvent, parseGridEvent } from './grid-events.ts';
import { type FrequencyState, frequencyOf, NO_DROP, readFrequency } from './grid-sources/meter.ts';

export interface GridWatchDeps {
  store: Db;
  bus?: Pick<EventBus, 'publish'>;
  log?: Log;
  now?: () => number;
}

function announce(
  deps: GridWatchDeps,
  event: GridEvent,
  change: 'started' | 'updated' | 'ended',
  nowMs: number,
) {
  deps.bus?.publish({
    type: 'grid.event',
    at: new Date(nowMs).toISOString(),
    id: event.id,
    kind: event.kind,
    severity: event.severity,
    change,
    start: new Date(event.startMs).toISOString(),
    end: event.endMs === null ? null : new Date(event.endMs).toISOString(),
    zones: event.zones,
  });
}

/** Records an event (or updates the one with its source's id) and announces it. */
export async function ingestGridEvent(
  deps: GridWatchDeps,
  event: NewGridEvent,
  nowMs: number,
): Promise<{ event: GridEvent; created: boolean }> {
  const result = await recordGridEvent(deps.store, event, nowMs);
  const ended = result.event.endMs !== null && result.event.endMs <= nowMs;
  announce(deps, result.event, ended ? 'ended' : result.created ? 'started' : 'updated', nowMs);
  return result;
}

/** Ends an event now (it may already have ended earlier); null when there is none with that id. */
export async function endGridEventNow(
  deps: GridWatchDeps,
  id: string,
  nowMs: number,
): Promise<GridEvent | null> {
  const event = await endGridEvent(deps.store, id, nowMs);
  if (event) announce(deps, event, 'ended', nowMs);
  return event;
}

/** A feed's answer as a list of events: a JSON array, or an object with `events`. */
export function feedEvents(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const events = (body as { events?: unknown } | null)?.events;
  if (Array.isArray(events)) return events;
  throw new Error('the feed answered neither a JSON array nor an object with an "events" list');
}

/**
 * Polls the feed once: records what it lists, and ends the open events it listed before but lists no more
 * (a feed of current alerts drops an alert when it is over).
 */
export async function pollFeedOnce(
  deps: GridWatchDeps,
  feed: NonNullable<GridEventsConfig['feed']>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ recorded: number; ended: number; skipped: string[] }> {
  const nowMs = (deps.now ?? Date.now)();
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = feed.tokenEnv ? env[feed.tokenEnv] : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(feed.url, { headers, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`grid event feed ${new URL(feed.url).host}: HTTP ${res.status}`);
  const listed = feedEvents(await res.json());
  const skipped: string[] = [];
  const seen = new Set<string>();
  let recorded = 0;
  for (const [i, raw] of listed.entries()) {
    try {
      const event = parseGridEvent(raw, 'feed', nowMs);
      if (event.externalId) seen.add(event.externalId);
      await ingestGridEvent(deps, event, nowMs);
      recorded++;
    } catch (err) {
      skipped.push(`[${i}] ${errorMessage(err)}`);
    }
  }
  let ended = 0;
  for (const open of await listGridEvents(deps.store, nowMs))
    if (open.source === 'feed' && open.endMs === null && open.externalId && !seen.has(open.externalId)) {
      await endGridEventNow(deps, open.id, nowMs);
      ended++;
    }
  return { recorded, ended, skipped };
}

function subscribe(
  url: string,
  topic: string,
  log: Log,
  onMessage: (payload: string) => Promise<void>,
): MqttClient {
  const client = connect(url, {
    clientId: `gridshift-grid-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 2000,
  });
  client.on('error', (err) => log('warn', `grid events: MQTT ${new URL(url).host}`, { error: err.message }));
  client.on('connect', () => {
    client.subscribe(topic, { qos: 1 }, (err) => {
      if (err) log('warn', `grid events: cannot subscribe to ${topic}`, { error: err.message });
    });
  });
  client.on('message', (_topic, payload) => {
    onMessage(payload.toString()).catch((err) =>
      log('warn', `grid events: message on ${topic} skipped`, { error: errorMessage(err) }),
    );
  });
  return client;
}

export interface GridWatch {
  /** the meter's state (a drop on or not) */
  readonly meterState: () => FrequencyState;
  close(): Promise<void>;
}

/** Starts the configured sources; `close` stops them. */
export function startGridWatch(
  config: GridEventsConfig,
  deps: GridWatchDeps,
  env: NodeJS.ProcessEnv = process.env,
): GridWatch {
  const log: Log = deps.log ?? (() => {});
  const now = deps.now ?? Date.now;
  const clients: MqttClient[] = [];
  let feedTimer: NodeJS.Timeout | undefined;
  let polling: Promise<unknown> = Promise.resolve();
  let closed = false;
  let meter: FrequencyState = NO_DROP;

  if (config.mqtt)
    clients.push(
      subscribe(config.mqtt.url, config.mqtt.topic, log, async (payload) => {
        await ingestGridEvent(deps, parseGridEvent(JSON.parse(payload), 'mqtt', now()), now());
      }),
    );
  if (config.meter) {
    const rule = { ...config.meter, zones: config.meter.zones.map((z) => resolveZone(z).code) };
    // one reading at a time: a drop's start is recorded before the reading that ends it
    let queue: Promise<void> = Promise.resolve();
    clients.push(
      subscribe(rule.url, rule.topic, log, (payload) => {
        queue = queue.then(async () => {
          const hz = frequencyOf(payload);
          if (hz === null) throw new Error(`not a frequency: "${payload.slice(0, 80)}"`);
          const atMs = now();
          const openSince = meter.dropSinceMs;
          const step = readFrequency(rule, meter, hz, atMs);
          meter = step.state;
          if (step.record) await ingestGridEvent(deps, step.record, atMs);
          if (step.endMs !== undefined && openSince !== null) {
            const [open] = (await listGridEvents(deps.store, atMs)).filter(
              (e) => e.source === 'meter' && e.startMs === openSince,
            );
            if (open) await endGridEventNow(deps, open.id, step.endMs);
          }
        });
        return queue;
      }),
    );
  }
  if (config.feed) {
    const feed = config.feed;
    const poll = () => {
      if (closed) return;
      polling = pollFeedOnce(deps, feed, env)
        .then((r) => {
          if (r.skipped.length) log('warn', 'grid event feed: entries skipped', { skipped: r.skipped });
        })
        .catch((err) => log('warn', 'grid event feed poll failed', { error: errorMessage(err) }))
        .finally(() => {
          if (!closed) feedTimer = setTimeout(poll, feed.intervalSec * 1000);
        });
    };
    poll();
  }
  return {
    meterState: () => meter,
    async close() {
      closed = true;
      clearTimeout(feedTimer);
      await polling;
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    },
  };
}
