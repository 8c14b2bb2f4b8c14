import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { attemptMessage } from './message.ts';
import type { DispatchContext, DispatchOutcome, MqttTarget } from './types.ts';

export const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';
/** limit for connecting and the broker's acknowledgement together, for targets without `timeoutSec` */
export const DEFAULT_MQTT_TIMEOUT_MS = 10_000;
const BROKER_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

export interface MqttPoolOptions {
  /** GRIDSHIFT_MQTT_URL, GRIDSHIFT_MQTT_USERNAME and GRIDSHIFT_MQTT_PASSWORD are read here (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** prefix of the MQTT client ids (default `gridshift`) */
  clientIdPrefix?: string;
}

/**
 * One MQTT connection per broker URL, shared by every dispatch of a worker: a publish then costs one
 * round trip instead of a connect handshake. Connections that fail are dropped and made anew on the next
 * dispatch. `close()` ends them all (on worker shutdown).
 */
export class MqttPool {
  readonly env: NodeJS.ProcessEnv;
  private readonly clientIdPrefix: string;
  private readonly clients = new Map<string, MqttClient>();

  constructor(options: MqttPoolOptions = {}) {
    this.env = options.env ?? process.env;
    this.clientIdPrefix = options.clientIdPrefix ?? 'gridshift';
  }

  /** how many broker connections are open or being opened */
  get size(): number {
    return this.clients.size;
  }

  /** The broker a target publishes to: its `url`, else GRIDSHIFT_MQTT_URL, else the local default. */
  brokerUrl(target: Pick<MqttTarget, 'url'>): string {
    return target.url ?? this.env.GRIDSHIFT_MQTT_URL ?? DEFAULT_MQTT_URL;
  }

  /** The pooled client for a broker, created (and connecting in the background) if there is none. */
  client(url: string): MqttClient {
    const existing = this.clients.get(url);
    if (existing) return existing;
    const options: IClientOptions = {
      clientId: `${this.clientIdPrefix}-${randomUUID().slice(0, 8)}`,
      clean: true,
      connectTimeout: DEFAULT_MQTT_TIMEOUT_MS,
      reconnectPeriod: 2_000,
    };
    // credentials in the URL win; otherwise they come from the environment, never from a target
    const parsed = new URL(url);
    if (!parsed.username && this.env.GRIDSHIFT_MQTT_USERNAME) {
      options.username = this.env.GRIDSHIFT_MQTT_USERNAME;
      if (this.env.GRIDSHIFT_MQTT_PASSWORD) options.password = this.env.GRIDSHIFT_MQTT_PASSWORD;
    }
    const client = connect(url, options);
    // without a listener an 'error' between dispatches would crash the process; waiters listen themselves
    client.on('error', () => {});
    // every dispatch waiting for the connection listens for it; many may wait at once
    client.setMaxListeners(0);
    this.clients.set(url, client);
    return client;
  }

  /** Ends a broken client, dropping what it still had queued, so the next dispatch connects afresh. */
  async discard(url: string, client: MqttClient): Promise<void> {
    if (this.clients.get(url) === client) this.clients.delete(url);
    await client.endAsync(true).catch(() => {});
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.endAsync(true).catch(() => {})));
  }
}

/** The message a target publishes: the attempt's fields and the target's own `payload` (which cannot replace loadId or attempt). */
export function mqttPayload(
  target: MqttTarget,
  ctx: DispatchContext,
  nowMs: number,
): Record<string, unknown> {
  return { ...attemptMessage(ctx, nowMs), ...target.payload, loadId: ctx.loadId, attempt: ctx.attempt };
}

/** Broker URL for messages: no credentials. */
function describeBroker(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid URL)';
  }
}

class DispatchStop extends Error {
  readonly timedOut: boolean;
  readonly aborted: boolean;
  constructor(message: string, kind: 'timeout' | 'abort' | 'error') {
    super(message);
    this.timedOut = kind === 'timeout';
    this.aborted = kind === 'abort';
  }
}

/** Rejects when the time limit passes or the dispatch is aborted, whichever comes first. */
function limit(timeoutMs: number, signal: AbortSignal): { stopped: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DispatchStop(`timed out after ${timeoutMs / 1000} s`, 'timeout')),
      timeoutMs,
    );
    onAbort = () => reject(new DispatchStop('aborted (shutdown or cancel)', 'abort'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  stopped.catch(() => {});
  return {
    stopped,
    clear() {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}

function connected(client: MqttClient): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (err: Error & { code?: string | number }) => {
      client.off('connect', onConnect);
      const code = typeof err.code === 'string' && !err.message.includes(err.code) ? ` (${err.code})` : '';
      reject(new DispatchStop(`could not connect: ${err.message}${code}`, 'error'));
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}

/**
 * Publishes the attempt to the target's topic (QoS 1 unless the target says otherwise) and succeeds when
 * the broker acknowledged it (PUBACK for QoS 1, PUBCOMP for QoS 2; for QoS 0, when it was written to the
 * connection) within the time limit.
 */
export async function runMqtt(
  target: MqttTarget,
  ctx: DispatchContext,
  pool: MqttPool,
  options: { nowMs?: () => number } = {},
): Promise<DispatchOutcome> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  const url = pool.brokerUrl(target);
  const broker = describeBroker(url);
  if (ctx.signal.aborted)
    return { ok: false, durationMs: 0, aborted: true, error: 'aborted before publishing' };
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
  if (!protocol || !BROKER_PROTOCOLS.includes(protocol))
    return {
      ok: false,
      durationMs: 0,
      error: `the broker URL ${broker} is not an mqtt://, mqtts://, ws:// or wss:// URL (topic ${target.topic})`,
    };

  const timeoutMs = (target.timeoutSec ?? DEFAULT_MQTT_TIMEOUT_MS / 1000) * 1000;
  const body = JSON.stringify(mqttPayload(target, ctx, options.nowMs?.() ?? Date.now()));
  const guard = limit(timeoutMs, ctx.signal);
  let client: MqttClient | undefined;
  try {
    client = pool.client(url);
    const ready = connected(client);
    ready.catch(() => {});
    await Promise.race([ready, guard.stopped]);
    const published = client.publishAsync(target.topic, body, {
      qos: target.qos ?? 1,
      retain: target.retain ?? false,
    });
    published.catch(() => {});
    await Promise.race([published, guard.stopped]);
    return { ok: true, durationMs: elapsedMs() };
  } catch (err) {
    const stop = err instanceof DispatchStop ? err : undefined;
    // a message the broker did not acknowledge must not be resent later by a lingering connection, so a
    // failing client is dropped; an abort (cancel, shutdown) leaves a healthy shared connection alone
    if (client && !(stop?.aborted && client.connected)) await pool.discard(url, client);
    const message = err instanceof Error ? err.message : String(err);
    const result: DispatchOutcome = {
      ok: false,
      durationMs: elapsedMs(),
      error: `${stop ? message : `publish failed: ${message}`} (${broker}, topic ${target.topic})`,
    };
    if (stop?.timedOut) result.timedOut = true;
    if (stop?.aborted) result.aborted = true;
    return result;
  } finally {
    guard.clear();
  }
}
