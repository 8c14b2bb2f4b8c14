import type { DispatchTargetInput } from '../../core/load-input.ts';
import { kubernetesLifecycle, runKubernetes } from './kubernetes.ts';
import type { LifecycleEvent, TargetLifecycle, TargetLoad } from './lifecycle.ts';
import { MqttPool, runMqtt } from './mqtt.ts';
import { type OpenAiDispatchOptions, runOpenAiBatch } from './openai.ts';
import { runShell } from './shell.ts';
import type { DispatchContext, DispatchOutcome } from './types.ts';
import { runWebhook } from './webhook.ts';

export { jobName } from './kube-job.ts';
export { type KubernetesOptions, runKubernetes } from './kubernetes.ts';
export type { LifecycleEvent, TargetLifecycle, TargetLoad } from './lifecycle.ts';
export {
  DEFAULT_MQTT_TIMEOUT_MS,
  DEFAULT_MQTT_URL,
  MqttPool,
  type MqttPoolOptions,
  mqttPayload,
  runMqtt,
} from './mqtt.ts';
export { type OpenAiDispatchOptions, runOpenAiBatch } from './openai.ts';
export { DEFAULT_SHELL_TIMEOUT_MS, runShell, type ShellOptions, shellEnv } from './shell.ts';
export { TailBuffer } from './tail.ts';
export {
  type DispatchContext,
  type Dispatcher,
  type DispatchOutcome,
  type KubernetesTarget,
  type MqttTarget,
  type NoneTarget,
  type OpenAiTarget,
  OUTPUT_TAIL_BYTES,
  type ShellTarget,
  type WebhookTarget,
} from './types.ts';
export {
  DEFAULT_SECRET_ENV,
  DEFAULT_TOLERANCE_SEC,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  runWebhook,
  SIGNATURE_HEADER,
  signPayload,
  USER_AGENT,
  verifySignature,
  type WebhookBody,
  type WebhookOptions,
} from './webhook.ts';

export interface DispatchOptions {
  /** where secrets and defaults are read (GRIDSHIFT_WEBHOOK_SECRET, GRIDSHIFT_MQTT_URL ...) and where
   * commands get PATH, HOME and LANG from; default process.env */
  env?: NodeJS.ProcessEnv;
  /** the clock for `dispatchedAt` and webhook signatures; default Date.now */
  nowMs?: () => number;
  /** limit for shell targets without `timeoutSec` (default 24 h); a worker passes one shorter than the job's expiry */
  shellTimeoutMs?: number;
  /** SIGTERM to SIGKILL grace period of shell commands (default 5 s) */
  killGraceMs?: number;
  /** limit for webhook targets without `timeoutSec` (default 30 s) */
  webhookTimeoutMs?: number;
  /** the worker's shared MQTT connections; without one, the dispatch opens and closes its own */
  mqttPool?: MqttPool;
  /** openai targets: the store holding the batches, and the signals and configuration of the gateway */
  openai?: Omit<OpenAiDispatchOptions, 'env'>;
}

/**
 * Starts one attempt of a load on its target and reports how it went. Never throws: every failure
 * (a non-zero exit, an HTTP error, an unreachable broker, a bug) is an outcome with `ok: false`.
 */
export async function dispatch(
  target: DispatchTargetInput,
  ctx: DispatchContext,
  options: DispatchOptions = {},
): Promise<DispatchOutcome> {
  try {
    switch (target.kind) {
      case 'shell':
        return await runShell(target, ctx, {
          parentEnv: options.env,
          defaultTimeoutMs: options.shellTimeoutMs,
          killGraceMs: options.killGraceMs,
        });
      case 'webhook':
        return await runWebhook(target, ctx, {
          env: options.env,
          nowMs: options.nowMs,
          defaultTimeoutMs: options.webhookTimeoutMs,
        });
      case 'mqtt': {
        if (options.mqttPool) return await runMqtt(target, ctx, options.mqttPool, { nowMs: options.nowMs });
        const pool = new MqttPool({ env: options.env });
        try {
          return await runMqtt(target, ctx, pool, { nowMs: options.nowMs });
        } finally {
          await pool.close();
        }
      }
      case 'kubernetes':
        return await runKubernetes(target, ctx, { env: options.env });
      case 'openai':
        if (!options.openai)
          return { ok: false, durationMs: 0, error: 'openai targets need the store (a worker)' };
        return await runOpenAiBatch(target, ctx, { ...options.openai, env: options.env });
      case 'none':
        // gridshift only announces the start (events, API); the client does the work
        return { ok: true, durationMs: 0 };
      default: {
        const kind = (target as { kind?: unknown }).kind;
        return { ok: false, durationMs: 0, error: `unknown dispatch target kind ${JSON.stringify(kind)}` };
      }
    }
  } catch (err) {
    return {
      ok: false,
      durationMs: 0,
      error: `dispatcher failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * Whether the target runs the work itself until it is done (a command, a Kubernetes Job), so that its run
 * lasts as long as it ran; other targets (webhook, MQTT, none) only give a start signal.
 */
export function runsTheWork(target: { kind: string }): boolean {
  return target.kind === 'shell' || target.kind === 'kubernetes';
}

/** The targets with lifecycle hooks (only Kubernetes: the suspended Job a waiting load has). */
const lifecycles: {
  [K in DispatchTargetInput['kind']]?: TargetLifecycle<Extract<DispatchTargetInput, { kind: K }>>;
} = { kubernetes: kubernetesLifecycle };

/**
 * Tells the load's target that its load was prepared, moved or cancelled, if the target cares; a target
 * without that hook is not asked. Throws what the hook throws: the caller logs it and carries on.
 */
export async function tellTarget(
  event: LifecycleEvent,
  target: DispatchTargetInput,
  load: TargetLoad,
  env?: NodeJS.ProcessEnv,
): Promise<boolean> {
  const hooks = lifecycles[target.kind] as TargetLifecycle<DispatchTargetInput> | undefined;
  const hook = hooks?.[event];
  if (!hook) return false;
  await hook(target, load, env);
  return true;
}
