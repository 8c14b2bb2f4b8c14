/**
 * Where the home's setpoints go once a slot's plan is solved: MQTT topics (retained, so a device that
 * connects later reads the current ones), a signed webhook, and the service's event stream (SSE). Each
 * output reports its own failure; the controller publishes again until every configured one has taken
 * the current setpoints.
 */
import type { HomeConfig } from '../core/home-config.ts';
import type { HomeSetpoints } from '../optimize/home-horizon.ts';
import type { MqttPool } from '../runner/dispatch/mqtt.ts';
import { httpPost, mqttPublish } from './outputs.ts';

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
            if (output === 'mqtt' && publish.mqtt)
              await mqttPublish(deps.mqtt, publish.mqtt.url, setpointTopics(publish.mqtt.topicPrefix, m), {
                retain: true,
              });
            if (output === 'webhook' && publish.webhook)
              await httpPost(publish.webhook.url, JSON.stringify(m), {
                env,
                timeoutMs: deps.webhookTimeoutMs ?? 10_000,
              });
          } catch (err) {
            failed[output] = (err as Error).message;
          }
        }),
      );
      return failed;
    },
  };
}
