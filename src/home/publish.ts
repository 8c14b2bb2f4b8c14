/**
 * Where the home's setpoints go once a slot's plan is solved: MQTT topics (retained, so a device that
 * connects later reads the current ones), a signed webhook, and the service's event stream (SSE). Each
 * output reports its own failure; the controller publishes again until every configured one has taken
 * the current setpoints.
 */
import type { HomeConfig } from '../core/home-config.ts';
import type { HomeSetpoints } from '../optimize/home-horizon.ts';
import { DEFAULT_MQTT_TIMEOUT_MS, type MqttPool } from '../runner/dispatch/mqtt.ts';
import {
  DEFAULT_SECRET_ENV,
  describeUrl,
  SIGNATURE_HEADER,
  signPayload,
  USER_AGENT,
} from '../runner/dispatch/webhook.ts';

export type HomeOutput = 'mqtt' | 'webhook';

/** The message on `<prefix>/setpoints`, in the webhook's body and in the `home.setpoints` event. */
export interface SetpointsMessage {
  type: 'home.setpoints';
  at: string;
  planId: number;
  reason: string;
  setpoints: HomeSetpoints;
}

/** Topic and payload of every MQTT message the setpoints make, under `prefix`. */
export function setpointTopics(prefix: string, m: SetpointsMessage): [string, string][] {
  const s = m.setpoints;
  const out: [string, string][] = [[`${prefix}/setpoints`, JSON.stringify(m)]];
  if (s.battery)
    out.push(
      [`${prefix}/battery/mode`, s.battery.mode],
      [`${prefix}/battery/power_kw`, String(s.battery.powerKw)],
    );
  if (s.ev)
    out.push(
      [`${prefix}/ev/charging`, s.ev.charging ? 'on' : 'off'],
      [`${prefix}/ev/power_kw`, String(s.ev.powerKw)],
      [`${prefix}/ev/current_a`, String(s.ev.currentA)],
    );
  for (const [id, state] of Object.entries(s.appliances)) out.push([`${prefix}/appliance/${id}`, state]);
  return out;
}

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

async function publishMqtt(
  pool: MqttPool,
  mqtt: NonNullable<HomeConfig['publish']['mqtt']>,
  m: SetpointsMessage,
) {
  const client = pool.client(mqtt.url);
  const sent = Promise.all(
    setpointTopics(mqtt.topicPrefix, m).map(([topic, payload]) =>
      client.publishAsync(topic, payload, { qos: 1, retain: true }),
    ),
  );
  try {
    await withTimeout(sent, DEFAULT_MQTT_TIMEOUT_MS, `MQTT ${describeUrl(mqtt.url)}`);
  } catch (err) {
    await pool.discard(mqtt.url, client);
    throw err;
  }
}

async function publishWebhook(url: string, m: SetpointsMessage, env: NodeJS.ProcessEnv, timeoutMs: number) {
  const body = JSON.stringify(m);
  const headers = new Headers({ 'content-type': 'application/json', 'user-agent': USER_AGENT });
  const secret = env[DEFAULT_SECRET_ENV];
  if (secret) headers.set(SIGNATURE_HEADER, signPayload(secret, body, Date.now() / 1000));
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(
      `webhook ${describeUrl(url)}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err as Error).message}`,
    );
  }
  await res.body?.cancel();
  if (!res.ok) throw new Error(`webhook ${describeUrl(url)}: HTTP ${res.status}`);
}

export interface HomePublisher {
  /** the outputs configured */
  readonly outputs: HomeOutput[];
  /** publishes to the outputs given; returns the error of each that failed */
  publish(m: SetpointsMessage, to: readonly HomeOutput[]): Promise<Partial<Record<HomeOutput, string>>>;
}

export function createHomePublisher(
  publish: HomeConfig['publish'],
  deps: { mqtt: MqttPool; env?: NodeJS.ProcessEnv; webhookTimeoutMs?: number },
): HomePublisher {
  const outputs: HomeOutput[] = [
    ...(publish.mqtt ? ['mqtt' as const] : []),
    ...(publish.webhook ? ['webhook' as const] : []),
  ];
  const env = deps.env ?? process.env;
  return {
    outputs,
    async publish(m, to) {
      const failed: Partial<Record<HomeOutput, string>> = {};
      await Promise.all(
        to.map(async (output) => {
          try {
            if (output === 'mqtt' && publish.mqtt) await publishMqtt(deps.mqtt, publish.mqtt, m);
            if (output === 'webhook' && publish.webhook)
              await publishWebhook(publish.webhook.url, m, env, deps.webhookTimeoutMs ?? 10_000);
          } catch (err) {
            failed[output] = (err as Error).message;
          }
        }),
      );
      return failed;
    },
  };
}
