/**
 * The two ways the home's messages leave the service, shared by the setpoints and the notices: MQTT
 * messages on a pooled connection, and an HTTP POST (signed like dispatch webhooks when
 * GRIDSHIFT_WEBHOOK_SECRET is set). Each throws an Error naming where it failed.
 */
import { DEFAULT_MQTT_TIMEOUT_MS, type MqttPool } from '../runner/dispatch/mqtt.ts';
import {
  DEFAULT_SECRET_ENV,
  describeUrl,
  SIGNATURE_HEADER,
  signPayload,
  USER_AGENT,
} from '../runner/dispatch/webhook.ts';

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Publishes the messages (QoS 1) and waits for the broker to take them all. */
export async function mqttPublish(
  pool: MqttPool,
  url: string,
  messages: readonly [topic: string, payload: string][],
  options: { retain: boolean },
): Promise<void> {
  const client = pool.client(url);
  const sent = Promise.all(
    messages.map(([topic, payload]) =>
      client.publishAsync(topic, payload, { qos: 1, retain: options.retain }),
    ),
  );
  try {
    await withTimeout(sent, DEFAULT_MQTT_TIMEOUT_MS, `MQTT ${describeUrl(url)}`);
  } catch (err) {
    await pool.discard(url, client);
    throw err;
  }
}

export interface PostOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  contentType?: string;
  headers?: Record<string, string>;
  /** sign with GRIDSHIFT_WEBHOOK_SECRET when it is set (default true) */
  sign?: boolean;
  /** what to call it in errors (default `webhook`) */
  what?: string;
}

export async function httpPost(url: string, body: string, o: PostOptions): Promise<void> {
  const headers = new Headers({
    'content-type': o.contentType ?? 'application/json',
    'user-agent': USER_AGENT,
    ...o.headers,
  });
  const secret = o.env[DEFAULT_SECRET_ENV];
  if (secret && o.sign !== false) headers.set(SIGNATURE_HEADER, signPayload(secret, body, Date.now() / 1000));
  const what = `${o.what ?? 'webhook'} ${describeUrl(url)}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    throw new Error(
      `${what}: ${e.name === 'TimeoutError' ? `no answer within ${o.timeoutMs / 1000} s` : e.message}`,
    );
  }
  await res.body?.cancel();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}`);
}
