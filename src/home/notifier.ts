/**
 * Tells the household when a clean, cheapest or "cheapest and cleanest" window begins, and of grid events:
 * as `home.notice` events on the event stream, a webhook, an MQTT topic and an ntfy push. Each transition
 * is told once (its key is claimed in the store), at most once per output. A notice held by quiet hours is
 * told when they end if its window is still on; a window over by then is not told.
 */

import type { HomeConfig, HomeNotifyConfig } from '../core/home-config.ts';
import { zonedTimeToMs } from '../core/human-time.ts';
import { MINUTE_MS, zonedParts } from '../core/time.ts';
import { errorMessage, type Log } from '../runner/context.ts';
import type { MqttPool } from '../runner/dispatch/mqtt.ts';
import type { EventBus } from '../runner/events.ts';
import { dayWindows } from '../signals/quality.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { Db } from '../store/db.ts';
import { getGridEvent } from '../store/grid-events.ts';
import { claimNotice } from '../store/home.ts';
import { gridEventNotice, type HomeNotice, heldByQuietHours, windowNotices } from './notices.ts';
import { httpPost, mqttPublish } from './outputs.ts';

export interface NotifierDeps {
  store: Db;
  registry: SignalRegistry;
  mqtt: MqttPool;
  bus?: Pick<EventBus, 'publish' | 'onEvent'>;
  log?: Log;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

export interface Notifier {
  /** tells the windows on now that were not told yet; the notices told */
  check(): Promise<HomeNotice[]>;
  /** tells a grid event's notice (after its `grid.event`) */
  gridEvent(id: string): Promise<HomeNotice | null>;
  start(): void;
  close(): Promise<void>;
}

/** The home's local day: its start and its slots' count. */
function localDay(ms: number, home: HomeConfig): { startMs: number; endMs: number } {
  const p = zonedParts(ms, home.timeZone);
  const at = (day: number) =>
    zonedTimeToMs({ year: p.year, month: p.month, day, hour: 0, minute: 0 }, home.timeZone);
  return { startMs: at(p.day), endMs: at(p.day + 1) };
}

/** The ntfy push of a notice: the message as the body, the title, priority and tags as headers. */
function ntfyHeaders(n: HomeNotice, token: string | undefined): Record<string, string> {
  const tags =
    n.kind === 'grid_event'
      ? 'warning,zap'
      : n.kind === 'clean_window'
        ? 'seedling'
        : n.kind === 'cheapest_window'
          ? 'moneybag'
          : 'seedling,moneybag';
  return {
    title: n.title,
    priority: String(n.priority),
    tags,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

export function createNotifier(home: HomeConfig, notify: HomeNotifyConfig, deps: NotifierDeps): Notifier {
  const now = deps.now ?? Date.now;
  const log: Log = deps.log ?? (() => {});
  const env = deps.env ?? process.env;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let unsubscribe: (() => void) | undefined;

  const send = async (n: HomeNotice) => {
    deps.bus?.publish(n);
    const outputs: [string, () => Promise<void>][] = [];
    if (notify.webhook)
      outputs.push([
        'webhook',
        () => httpPost(notify.webhook?.url ?? '', JSON.stringify(n), { env, timeoutMs: 10_000 }),
      ]);
    if (notify.mqtt) {
      const { url, topic } = notify.mqtt;
      outputs.push([
        'mqtt',
        () => mqttPublish(deps.mqtt, url, [[topic, JSON.stringify(n)]], { retain: false }),
      ]);
    }
    if (notify.ntfy) {
      const { url, tokenEnv } = notify.ntfy;
      outputs.push([
        'ntfy',
        () =>
          httpPost(url, n.message, {
            env,
            timeoutMs: 10_000,
            contentType: 'text/plain; charset=utf-8',
            headers: ntfyHeaders(n, tokenEnv ? env[tokenEnv] : undefined),
            sign: false,
            what: 'ntfy',
          }),
      ]);
    }
    await Promise.all(
      outputs.map(([name, out]) =>
        out().catch((err) => log('warn', `home notice not sent (${name})`, { error: errorMessage(err) })),
      ),
    );
  };

  /** Tells the notice unless quiet hours hold it or it was told before. */
  const tell = async (n: HomeNotice, atMs: number): Promise<boolean> => {
    if (heldByQuietHours(home, notify, n, atMs)) return false;
    if (!(await claimNotice(deps.store, n, atMs))) return false;
    await send(n);
    return true;
  };

  const check = async (): Promise<HomeNotice[]> => {
    if (notify.windows.length === 0) return [];
    const atMs = now();
    const day = localDay(atMs, home);
    const signals = await deps.registry.getZoneSignals(home.zone, {
      fromMs: day.startMs,
      toMs: day.endMs,
      nowMs: atMs,
      stepMin: home.stepMin,
      priceRequired: false,
    });
    const carbon = signals.carbon.values;
    const price = signals.price?.values;
    const windows = {
      ...dayWindows(carbon, price, { cheapShare: notify.cheapShare }),
      carbon,
      ...(price ? { price } : {}),
    };
    const told: HomeNotice[] = [];
    for (const n of windowNotices(home, notify, windows, signals.carbon.startMs, atMs))
      if (await tell(n, atMs)) told.push(n);
    return told;
  };

  const gridEvent = async (id: string): Promise<HomeNotice | null> => {
    const atMs = now();
    const event = await getGridEvent(deps.store, id);
    if (!event || (event.endMs !== null && event.endMs <= atMs)) return null;
    if (event.zones.length > 0 && !event.zones.includes(home.zone)) return null;
    const n = gridEventNotice(home, notify, event, atMs);
    return n && (await tell(n, atMs)) ? n : null;
  };

  const schedule = () => {
    const atMs = now();
    const stepMs = home.stepMin * MINUTE_MS;
    // just after each slot begins, and every 5 minutes within it
    const delay = Math.min(5 * MINUTE_MS, stepMs - (atMs % stepMs) + 2000);
    timer = setTimeout(() => {
      running = check()
        .catch((err) => log('warn', 'home notices check failed', { error: errorMessage(err) }))
        .finally(schedule);
    }, delay);
  };

  return {
    check,
    gridEvent,
    start() {
      unsubscribe = deps.bus?.onEvent((e) => {
        if (e.type !== 'grid.event' || e.change === 'ended') return;
        running = running
          .then(() => gridEvent(e.id))
          .catch((err) => log('warn', 'grid event notice failed', { error: errorMessage(err) }));
      });
      running = check()
        .catch((err) => log('warn', 'home notices check failed', { error: errorMessage(err) }))
        .finally(schedule);
    },
    async close() {
      unsubscribe?.();
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
