import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { type KubeClients, KubeError, kubeCall } from './kube-client.ts';
import { POD_JOB_NAME_LABEL } from './kube-job.ts';
import { TailBuffer } from './tail.ts';

/**
 * What a finished Job's pod says: the exit code of its container and the tail of its log. The pod is the
 * newest one that ended as the Job did (Succeeded for a Complete Job, Failed for a Failed one), else the
 * newest.
 */

export interface PodResult {
  pod?: string;
  exitCode?: number | null;
  outputTail?: string;
  /** why the exit code or the log could not be read */
  note?: string;
}

/** lines of the log asked for; the outcome keeps their last OUTPUT_TAIL_BYTES */
const LOG_TAIL_LINES = 500;

export async function podResult(
  clients: KubeClients,
  namespace: string,
  jobName: string,
  succeeded: boolean,
): Promise<PodResult> {
  let pods: V1Pod[];
  try {
    pods = (
      await kubeCall(clients, { verb: 'list', resource: 'pods', namespace }, () =>
        clients.core.listNamespacedPod({ namespace, labelSelector: `${POD_JOB_NAME_LABEL}=${jobName}` }),
      )
    ).items;
  } catch (err) {
    return { note: (err as Error).message };
  }
  const pod = pickPod(pods, succeeded ? 'Succeeded' : 'Failed');
  if (!pod?.metadata?.name) return { note: 'the Job has no pod left to read its exit code and log from' };
  const container = endedContainer(pod);
  const result: PodResult = {
    pod: pod.metadata.name,
    exitCode: container?.state?.terminated?.exitCode ?? null,
  };
  try {
    const log = await kubeCall(clients, { verb: 'get', resource: 'pods/log', namespace }, () =>
      clients.core.readNamespacedPodLog({
        name: pod.metadata?.name as string,
        namespace,
        ...(container?.name ? { container: container.name } : {}),
        tailLines: LOG_TAIL_LINES,
      }),
    );
    const tail = new TailBuffer();
    tail.push(String(log));
    result.outputTail = tail.text();
  } catch (err) {
    result.note = err instanceof KubeError ? err.message : String(err);
  }
  return result;
}

function pickPod(pods: V1Pod[], phase: 'Succeeded' | 'Failed'): V1Pod | undefined {
  const created = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  const newestFirst = [...pods].sort((a, b) => created(b) - created(a));
  return newestFirst.find((p) => p.status?.phase === phase) ?? newestFirst[0];
}

/** The container that decided the pod's end: the first that exited non-zero, else the first that exited. */
function endedContainer(pod: V1Pod): V1ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return (
    statuses.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0) ??
    statuses.find((s) => s.state?.terminated) ??
    statuses[0]
  );
}
