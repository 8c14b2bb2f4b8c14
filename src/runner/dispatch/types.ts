import type { z } from 'zod';
import type {
  kubernetesTarget,
  mqttTarget,
  noneTarget,
  openaiTarget,
  shellTarget,
  webhookTarget,
} from '../../core/load-input.ts';

export type ShellTarget = z.infer<typeof shellTarget>;
export type WebhookTarget = z.infer<typeof webhookTarget>;
export type MqttTarget = z.infer<typeof mqttTarget>;
export type NoneTarget = z.infer<typeof noneTarget>;
export type KubernetesTarget = z.infer<typeof kubernetesTarget>;
export type OpenAiTarget = z.infer<typeof openaiTarget>;

/** What a dispatcher knows about the attempt it starts. */
export interface DispatchContext {
  loadId: string;
  /** 1 for the first run; receivers use loadId + attempt to stay idempotent */
  attempt: number;
  name: string;
  plannedStartMs: number;
  /** latest allowed finish */
  deadlineMs: number;
  zone: string;
  /** aborted on shutdown or cancel: the dispatcher stops the work and reports it as not ok */
  signal: AbortSignal;
  /** interruptible loads: which piece this attempt runs (`deadlineMs` is then the piece's planned end) */
  piece?: { index: number; count: number; loadDeadlineMs: number };
  /** shell: told the process group of the command once it started (recorded, to end it after a crash) */
  onProcessGroup?: (pgid: number) => void;
}

/** How one dispatch went. Never contains secrets (no request headers, no signing keys). */
export interface DispatchOutcome {
  ok: boolean;
  durationMs: number;
  /** shell: the exit code, or null when the process was killed by a signal or never started */
  exitCode?: number | null;
  /** shell: the signal that ended the process (SIGTERM, SIGKILL), if any */
  signal?: string | null;
  /** webhook: the HTTP status of the response */
  status?: number;
  /** the last ~4 KB of stdout+stderr (shell) or of the response body (webhook) */
  outputTail?: string;
  /** shell: how many bytes of output the command wrote in total (the tail keeps only the end) */
  outputBytes?: number;
  /** webhook: whether the request carried an x-gridshift-signature header */
  signed?: boolean;
  /** kubernetes: the Job that ran the attempt, as namespace/name; openai: the batch */
  ref?: string;
  /** why it is not ok, in words */
  error?: string;
  /** the target's time limit ran out */
  timedOut?: boolean;
  /** ctx.signal was aborted before or during the dispatch */
  aborted?: boolean;
}

export type Dispatcher<T> = (target: T, ctx: DispatchContext) => Promise<DispatchOutcome>;

/** Bytes of output or response body an outcome keeps. */
export const OUTPUT_TAIL_BYTES = 4096;
