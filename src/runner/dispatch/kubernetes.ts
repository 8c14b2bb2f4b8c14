import type { V1Job } from '@kubernetes/client-node';
import { apiStatus, type KubeClients, KubeError, kubeCall, kubeClients } from './kube-client.ts';
import {
  ATTEMPT_LABEL,
  activeDeadline,
  jobBody,
  jobName,
  LOAD_ID_LABEL,
  loadSelector,
  PLANNED_START_ANNOTATION,
  readTemplate,
} from './kube-job.ts';
import { podResult } from './kube-pods.ts';
import { isFinished, type JobEnd, type WatchOptions, waitForJob } from './kube-watch.ts';
import type { TargetLifecycle, TargetLoad } from './lifecycle.ts';
import type { DispatchContext, DispatchOutcome, KubernetesTarget } from './types.ts';

/**
 * The Kubernetes dispatcher: an attempt runs as a batch/v1 Job. The Job a load was given at submit (created
 * suspended, see `kubernetesLifecycle`) is unsuspended when the attempt starts, or created if it is missing;
 * the dispatch then waits for the Job's Complete or Failed condition and records the exit code and log tail
 * of its pod. An attempt that is stopped deletes its Job (pods too, in the background), or suspends it when
 * the load is interruptible and more pieces follow.
 */

export interface KubernetesOptions {
  /** where KUBECONFIG and HOME are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** the watch's reconnection backoff */
  watch?: WatchOptions;
}

export async function runKubernetes(
  target: KubernetesTarget,
  ctx: DispatchContext,
  options: KubernetesOptions = {},
): Promise<DispatchOutcome> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  const failed = (error: string, extra: Partial<DispatchOutcome> = {}): DispatchOutcome => ({
    ok: false,
    durationMs: elapsedMs(),
    error,
    ...extra,
  });
  if (ctx.signal.aborted) return failed('aborted before the Job was started', { aborted: true });
  let clients: KubeClients;
  let name: string;
  try {
    clients = await kubeClients(target, options.env);
    name = await startJob(clients, target, ctx);
  } catch (err) {
    return failed(errorMessage(err));
  }
  const ref = `${target.namespace}/${name}`;
  let end: JobEnd;
  try {
    end = await waitForJob(clients, target.namespace, name, ctx.signal, options.watch);
  } catch (err) {
    const stopped = await stopJob(clients, target, ctx, name);
    if (ctx.signal.aborted) return failed(`aborted (shutdown or cancel): ${stopped}`, { aborted: true, ref });
    return failed(`${errorMessage(err)}; ${stopped}`, { ref });
  }
  if (end.kind === 'deleted') return failed(`Job ${ref} was deleted before it finished`, { ref });
  const pod = await podResult(clients, target.namespace, name, end.kind === 'complete');
  const outcome: DispatchOutcome = {
    ok: end.kind === 'complete',
    durationMs: elapsedMs(),
    ref,
    ...(pod.exitCode !== undefined ? { exitCode: pod.exitCode } : {}),
    ...(pod.outputTail !== undefined ? { outputTail: pod.outputTail } : {}),
  };
  if (end.kind === 'failed') {
    const why = [end.reason, end.message].filter(Boolean).join(': ');
    outcome.error = `Job ${ref} failed${why ? ` (${why})` : ''}${pod.note ? `; ${pod.note}` : ''}`;
    if (end.reason === 'DeadlineExceeded') outcome.timedOut = true;
  } else if (pod.note && outcome.outputTail === undefined) {
    outcome.outputTail = `(${pod.note})`;
  }
  return outcome;
}

/**
 * Starts the attempt's Job and returns its name: the load's unfinished Job (the one made at submit, or by an
 * attempt before this one, or a piece's) is adopted and unsuspended; else the Job is created. A Job of that
 * name that already exists (AlreadyExists) is adopted when its labels say it is this load's.
 */
async function startJob(
  clients: KubeClients,
  target: KubernetesTarget,
  ctx: DispatchContext,
): Promise<string> {
  const { namespace } = target;
  const seconds = activeDeadline(target, Date.now(), ctx.piece?.loadDeadlineMs ?? ctx.deadlineMs);
  const jobs = await loadJobs(clients, namespace, ctx.loadId);
  const open = jobs.filter((j) => !isFinished(j));
  const own = jobs.find((j) => j.metadata?.labels?.[ATTEMPT_LABEL] === String(ctx.attempt));
  const adopt = own ?? open.find((j) => j.spec?.suspend) ?? open[0];
  if (adopt) return resume(clients, namespace, adopt, ctx.attempt, seconds);
  const body = jobBody(target, await readTemplate(target), {
    loadId: ctx.loadId,
    attempt: ctx.attempt,
    plannedStartMs: ctx.plannedStartMs,
    suspend: false,
    activeDeadlineSeconds: seconds,
  });
  const name = body.metadata?.name as string;
  try {
    await kubeCall(clients, { verb: 'create', resource: 'jobs', namespace }, () =>
      clients.batch.createNamespacedJob({ namespace, body }),
    );
    return name;
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
  }
  const existing = await kubeCall(clients, { verb: 'get', resource: 'jobs', namespace }, () =>
    clients.batch.readNamespacedJob({ name, namespace }),
  );
  if (existing.metadata?.labels?.[LOAD_ID_LABEL] !== ctx.loadId)
    throw new Error(`a Job named ${name} already exists in namespace ${namespace} and is not this load's`);
  return resume(clients, namespace, existing, ctx.attempt, seconds);
}

/** Unsuspends an adopted Job for this attempt (a running or finished one is only adopted). */
async function resume(
  clients: KubeClients,
  namespace: string,
  job: V1Job,
  attempt: number,
  activeDeadlineSeconds: number,
): Promise<string> {
  const name = job.metadata?.name as string;
  const suspended = job.spec?.suspend === true;
  const relabel = job.metadata?.labels?.[ATTEMPT_LABEL] !== String(attempt);
  if (!suspended && !relabel) return name;
  const body = {
    ...(relabel ? { metadata: { labels: { [ATTEMPT_LABEL]: String(attempt) } } } : {}),
    ...(suspended && !isFinished(job) ? { spec: { suspend: false, activeDeadlineSeconds } } : {}),
  };
  await patchJob(clients, namespace, name, body);
  return name;
}

/** A stopped attempt: its Job suspended when more pieces follow, else deleted; in words for the outcome. */
async function stopJob(
  clients: KubeClients,
  target: KubernetesTarget,
  ctx: DispatchContext,
  name: string,
): Promise<string> {
  const ref = `${target.namespace}/${name}`;
  const morePieces = ctx.piece !== undefined && ctx.piece.index < ctx.piece.count - 1;
  try {
    if (morePieces) {
      await patchJob(clients, target.namespace, name, { spec: { suspend: true } });
      return `Job ${ref} suspended until the next piece`;
    }
    await deleteJob(clients, target.namespace, name);
    return `Job ${ref} deleted`;
  } catch (err) {
    return `Job ${ref} may still run: ${errorMessage(err)}`;
  }
}

function patchJob(clients: KubeClients, namespace: string, name: string, body: object): Promise<V1Job> {
  return kubeCall(clients, { verb: 'patch', resource: 'jobs', namespace }, () =>
    clients.batch.patchNamespacedJob({ name, namespace, body }, clients.mergePatch),
  );
}

/** Deletes a Job and, in the background, its pods; a Job already gone is fine. */
async function deleteJob(clients: KubeClients, namespace: string, name: string): Promise<void> {
  try {
    await kubeCall(clients, { verb: 'delete', resource: 'jobs', namespace }, () =>
      clients.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }),
    );
  } catch (err) {
    if (!(err instanceof KubeError && err.status === 404)) throw err;
  }
}

/** The load's Jobs in the namespace, by their load-id label. */
async function loadJobs(clients: KubeClients, namespace: string, loadId: string): Promise<V1Job[]> {
  const list = await kubeCall(clients, { verb: 'list', resource: 'jobs', namespace }, () =>
    clients.batch.listNamespacedJob({ namespace, labelSelector: loadSelector(loadId) }),
  );
  return list.items;
}

/**
 * The Job around the load's life before and after its run: created suspended when the load is queued,
 * its planned start annotation moved with the plan, deleted when the load is cancelled.
 */
export const kubernetesLifecycle: TargetLifecycle<KubernetesTarget> = {
  async prepared(target, load: TargetLoad, env) {
    const clients = await kubeClients(target, env);
    const { namespace } = target;
    const body = jobBody(target, await readTemplate(target), {
      loadId: load.loadId,
      attempt: load.attempt,
      plannedStartMs: load.plannedStartMs,
      suspend: true,
      activeDeadlineSeconds: activeDeadline(target, load.plannedStartMs, load.deadlineMs),
    });
    try {
      await kubeCall(clients, { verb: 'create', resource: 'jobs', namespace }, () =>
        clients.batch.createNamespacedJob({ namespace, body }),
      );
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      // made already (a repeated submit, or the dispatch got there first): only the annotation is brought up to date
      await annotate(clients, namespace, [jobName(load.loadId, load.attempt)], load.plannedStartMs);
    }
  },
  async moved(target, load, env) {
    const clients = await kubeClients(target, env);
    const open = (await loadJobs(clients, target.namespace, load.loadId)).filter((j) => !isFinished(j));
    const names = open.map((j) => j.metadata?.name as string);
    await annotate(clients, target.namespace, names, load.plannedStartMs);
  },
  async cancelled(target, load, env) {
    const clients = await kubeClients(target, env);
    const open = (await loadJobs(clients, target.namespace, load.loadId)).filter((j) => !isFinished(j));
    for (const job of open) await deleteJob(clients, target.namespace, job.metadata?.name as string);
  },
};

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function annotate(clients: KubeClients, namespace: string, names: string[], startMs: number) {
  const body = { metadata: { annotations: { [PLANNED_START_ANNOTATION]: new Date(startMs).toISOString() } } };
  for (const name of names) await patchJob(clients, namespace, name, body);
}
