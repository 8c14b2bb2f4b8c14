import type { V1Job, V1JobCondition } from '@kubernetes/client-node';
import { type KubeClients, KubeError, kubeCall } from './kube-client.ts';

/**
 * Waiting for a Job to finish: its Complete or Failed condition, read through a watch on the one Job that
 * survives disconnects. A watch that breaks is resumed from the last resourceVersion seen (after a short
 * backoff while the server is unreachable); a resourceVersion the server no longer has (410 Gone, as an
 * ERROR event or as the response) makes it list the Job again and watch from the list's version.
 */

export type JobEnd =
  | { kind: 'complete'; job: V1Job }
  | { kind: 'failed'; job: V1Job; reason?: string; message?: string }
  | { kind: 'deleted' };

export interface WatchOptions {
  /** first delay before reconnecting a watch that failed, ms (default 250; doubles up to 5 s) */
  backoffMs?: number;
  /** told each time the Job is listed again (the start, and after 410 Gone) */
  onList?: () => void;
}

const trueCondition = (job: V1Job, type: string): V1JobCondition | undefined =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The Job's end, from its conditions; undefined while it has not finished. */
export function jobEnd(job: V1Job): JobEnd | undefined {
  if (trueCondition(job, 'Complete')) return { kind: 'complete', job };
  const failed = trueCondition(job, 'Failed');
  if (failed) return { kind: 'failed', job, reason: failed.reason, message: failed.message };
  return undefined;
}

/** Whether a Job has finished (Complete or Failed). */
export const isFinished = (job: V1Job): boolean => jobEnd(job) !== undefined;

type Round =
  | { kind: 'end'; end: JobEnd }
  | { kind: 'gone' }
  | { kind: 'closed'; resourceVersion: string; error?: unknown }
  | { kind: 'aborted' };

/** Waits until the Job finishes or is deleted; throws when `signal` aborts or the API refuses to answer. */
export async function waitForJob(
  clients: KubeClients,
  namespace: string,
  name: string,
  signal: AbortSignal,
  options: WatchOptions = {},
): Promise<JobEnd> {
  const firstBackoffMs = options.backoffMs ?? 250;
  let backoffMs = firstBackoffMs;
  let resourceVersion: string | undefined;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    if (resourceVersion === undefined) {
      options.onList?.();
      const list = await kubeCall(clients, { verb: 'list', resource: 'jobs', namespace }, () =>
        clients.batch.listNamespacedJob({ namespace, fieldSelector: `metadata.name=${name}` }),
      );
      const job = list.items[0];
      if (!job) return { kind: 'deleted' };
      const end = jobEnd(job);
      if (end) return end;
      resourceVersion = list.metadata?.resourceVersion ?? '';
    }
    const round = await watchRound(clients, namespace, name, resourceVersion, signal);
    if (round.kind === 'end') return round.end;
    if (round.kind === 'aborted') throw signal.reason;
    if (round.kind === 'gone') {
      resourceVersion = undefined;
      continue;
    }
    resourceVersion = round.resourceVersion;
    if (round.error === undefined) {
      backoffMs = firstBackoffMs; // the server closed a healthy watch (its timeout): resume at once
      continue;
    }
    const status = (round.error as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403)
      throw new KubeError(round.error, { verb: 'watch', resource: 'jobs', namespace }, clients.server);
    await sleep(backoffMs, signal);
    backoffMs = Math.min(5000, backoffMs * 2);
  }
}

/** One watch request, from `resourceVersion` until it ends the wait, breaks or is closed. */
function watchRound(
  clients: KubeClients,
  namespace: string,
  name: string,
  resourceVersion: string,
  signal: AbortSignal,
): Promise<Round> {
  let latest = resourceVersion;
  return new Promise<Round>((resolve) => {
    let settled = false;
    let request: AbortController | undefined;
    const finish = (round: Round) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      request?.abort();
      resolve(round);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    if (signal.aborted) return onAbort(); // aborted while the Job was listed: a listener would never hear it
    signal.addEventListener('abort', onAbort, { once: true });
    const onEvent = (type: string, object: unknown) => {
      if (type === 'ERROR') {
        const code = (object as { code?: number } | null)?.code;
        finish(code === 410 ? { kind: 'gone' } : { kind: 'closed', resourceVersion: latest, error: object });
        return;
      }
      const job = object as V1Job;
      if (job.metadata?.resourceVersion) latest = job.metadata.resourceVersion;
      if (type === 'BOOKMARK') return;
      if (type === 'DELETED') return finish({ kind: 'end', end: { kind: 'deleted' } });
      const end = jobEnd(job);
      if (end) finish({ kind: 'end', end });
    };
    const onDone = (err: unknown) => {
      if ((err as { statusCode?: number } | null)?.statusCode === 410) return finish({ kind: 'gone' });
      // the client closes a watch that heard nothing for 30 s (no event, no bookmark): a healthy end
      const idle = (err as { name?: string } | null)?.name === 'TimeoutError';
      finish({ kind: 'closed', resourceVersion: latest, ...(err && !idle ? { error: err } : {}) });
    };
    clients.watch
      .watch(
        `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true },
        onEvent,
        onDone,
      )
      .then((controller) => {
        request = controller;
        if (settled) controller.abort();
      }, onDone);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
