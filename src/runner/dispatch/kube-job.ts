import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { V1Job } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { kubernetesTarget } from '../../core/load-input.ts';
import type { KubernetesTarget } from './types.ts';

/**
 * The Job gridshift makes for an attempt of a load: its name, labels, annotations and body, from the load's
 * Job template (inline, or read from its file).
 */

export const LOAD_ID_LABEL = 'gridshift.io/load-id';
export const ATTEMPT_LABEL = 'gridshift.io/attempt';
export const PLANNED_START_ANNOTATION = 'gridshift.io/planned-start';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** the label the Job controller (Kubernetes 1.27 and later) puts on the pods of a Job */
export const POD_JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

const MAX_NAME = 63;

/**
 * The Job's name for attempt `attempt` of load `loadId`: `gridshift-<load id>-<attempt>`, as a DNS-1123 label
 * (lowercase, at most 63 characters, so that the Job controller's `job-name` label on its pods fits). A load
 * id that does not fit is cut and completed by a hash of the whole id, so the name stays deterministic and
 * distinct.
 */
export function jobName(loadId: string, attempt: number): string {
  const suffix = `-${attempt}`;
  const id = loadId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const whole = `gridshift-${id}`;
  if (whole.length + suffix.length <= MAX_NAME && id === loadId) return `${whole}${suffix}`;
  const hash = createHash('sha256').update(loadId).digest('hex').slice(0, 10);
  const room = MAX_NAME - suffix.length - hash.length - 1;
  return `${whole.slice(0, room).replace(/-+$/, '')}-${hash}${suffix}`;
}

/** What the Job of an attempt is made for. */
export interface JobFor {
  loadId: string;
  attempt: number;
  plannedStartMs: number;
  suspend: boolean;
  /** seconds the Job may be active once it runs (spec.activeDeadlineSeconds) */
  activeDeadlineSeconds: number;
}

/** gridshift's labels on a Job. */
export function jobLabels(loadId: string, attempt: number): Record<string, string> {
  return { [LOAD_ID_LABEL]: loadId, [ATTEMPT_LABEL]: String(attempt), [MANAGED_BY_LABEL]: 'gridshift' };
}

/** The label selector of a load's Jobs. */
export const loadSelector = (loadId: string): string => `${LOAD_ID_LABEL}=${loadId}`;

/**
 * The Job to create: the template with gridshift's name, namespace, labels and annotation, `spec.suspend` and
 * `spec.activeDeadlineSeconds`; the pods carry the load id as a label and as GRIDSHIFT_LOAD_ID (unless the
 * template sets it). What the template says of the name, namespace and server-set fields is not kept.
 */
export function jobBody(target: KubernetesTarget, template: JobTemplate, job: JobFor): V1Job {
  const meta = (template.metadata ?? {}) as Record<string, unknown>;
  const {
    name: _name,
    generateName: _generateName,
    namespace: _namespace,
    resourceVersion: _rv,
    uid: _uid,
    creationTimestamp: _created,
    ...keptMeta
  } = meta;
  const spec = template.spec as Record<string, unknown> & { template: Record<string, unknown> };
  const pod = spec.template as { metadata?: Record<string, unknown>; spec: Record<string, unknown> };
  const podLabels = {
    ...((pod.metadata?.labels as Record<string, string>) ?? {}),
    [LOAD_ID_LABEL]: job.loadId,
  };
  const containers = (pod.spec.containers as Record<string, unknown>[]).map(withLoadEnv(job.loadId));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...keptMeta,
      name: jobName(job.loadId, job.attempt),
      namespace: target.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}), ...jobLabels(job.loadId, job.attempt) },
      annotations: {
        ...((meta.annotations as Record<string, string>) ?? {}),
        [PLANNED_START_ANNOTATION]: new Date(job.plannedStartMs).toISOString(),
      },
    },
    spec: {
      ...spec,
      suspend: job.suspend,
      activeDeadlineSeconds: job.activeDeadlineSeconds,
      template: {
        ...pod,
        metadata: { ...(pod.metadata ?? {}), labels: podLabels },
        spec: { ...pod.spec, containers },
      },
    },
  } as unknown as V1Job;
}

function withLoadEnv(loadId: string) {
  return (container: Record<string, unknown>): Record<string, unknown> => {
    const env = (container.env as { name: string }[] | undefined) ?? [];
    if (env.some((e) => e.name === 'GRIDSHIFT_LOAD_ID')) return container;
    return { ...container, env: [...env, { name: 'GRIDSHIFT_LOAD_ID', value: loadId }] };
  };
}

export type JobTemplate = NonNullable<KubernetesTarget['template']>;

/** The target's Job template: inline, or read from its file (JSON or YAML) and checked like an inline one. */
export async function readTemplate(target: KubernetesTarget): Promise<JobTemplate> {
  if (target.template) return target.template;
  const path = target.templateFile as string;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read the Job template file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON
  } catch (err) {
    // the parser's first line only: the lines after it quote the file
    const why = (err as Error).message.split('\n')[0];
    throw new Error(`the Job template file ${path} is not JSON or YAML: ${why}`);
  }
  const checked = kubernetesTarget.safeParse({
    kind: 'kubernetes',
    namespace: target.namespace,
    template: raw,
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue.path.slice(1).join('.');
    throw new Error(
      `the Job template file ${path} is not a Job template: ${where ? `${where}: ` : ''}${issue.message}`,
    );
  }
  return checked.data.template as JobTemplate;
}

/** Seconds a Job may stay active from now: until the load's deadline, and no longer than the target's limit. */
export function activeDeadline(target: KubernetesTarget, nowMs: number, deadlineMs: number): number {
  const untilDeadline = Math.max(1, Math.ceil((deadlineMs - nowMs) / 1000));
  return target.timeoutSec !== undefined ? Math.min(target.timeoutSec, untilDeadline) : untilDeadline;
}
