import type {
  AutoscalingV2Api,
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  ObservableMiddleware,
} from '@kubernetes/client-node';
import { KubeError, kubeConfig, loadClient, type Permission } from '../../runner/dispatch/kube-client.ts';
import { ATTEMPT_LABEL, LOAD_ID_LABEL, MANAGED_BY_LABEL } from '../../runner/dispatch/kube-job.ts';
import type { Taint } from './rules.ts';

/**
 * The controller's calls to the Kubernetes API, through the official client as the Job dispatcher makes
 * them (same configuration lookup, same sentences for failures): nodes by label selector and their taints,
 * core/v1 Events, KEDA ScaledObjects and autoscaling/v2 HPAs, and (for the dashboard) gridshift's batch/v1 Jobs. Writes are JSON merge patches; a node's patch
 * carries the resourceVersion it was read at, so a taint someone else added meanwhile is not lost (409).
 */

export interface ClusterClients {
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  custom: CustomObjectsApi;
  batch: BatchV1Api;
  server: string;
  mergePatch: ConfigurationOptions<ObservableMiddleware>;
}

export async function clusterClients(
  where: { kubeconfig?: string; context?: string },
  env?: NodeJS.ProcessEnv,
): Promise<ClusterClients> {
  const k8s = await loadClient();
  const kc = kubeConfig(k8s, where, env);
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    autoscaling: kc.makeApiClient(k8s.AutoscalingV2Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    server: kc.getCurrentCluster()?.server ?? '(unknown server)',
    mergePatch: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  };
}

async function call<T>(c: ClusterClients, what: Permission, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new KubeError(err, { who: "the controller's", ...what }, c.server);
  }
}

/** A node as the controller reads it. */
export interface NodeView {
  name: string;
  uid: string;
  resourceVersion: string;
  taints: Taint[];
  annotations: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: the client's V1Node, read field by field
function nodeView(n: any): NodeView {
  return {
    name: String(n.metadata?.name),
    uid: String(n.metadata?.uid ?? ''),
    resourceVersion: String(n.metadata?.resourceVersion ?? ''),
    taints: ((n.spec?.taints ?? []) as Taint[]).map((t) => ({
      key: t.key,
      ...(t.value !== undefined ? { value: t.value } : {}),
      effect: t.effect,
      ...(t.timeAdded ? { timeAdded: new Date(t.timeAdded).toISOString() } : {}),
    })),
    annotations: { ...(n.metadata?.annotations ?? {}) },
  };
}

export async function listNodes(c: ClusterClients, labelSelector: string): Promise<NodeView[]> {
  const list = await call(c, { verb: 'list', resource: 'nodes' }, () => c.core.listNode({ labelSelector }));
  return list.items.map(nodeView);
}

export async function getNode(c: ClusterClients, name: string): Promise<NodeView> {
  return nodeView(await call(c, { verb: 'get', resource: 'nodes' }, () => c.core.readNode({ name })));
}

/** Sets the node's taints (the whole list, as kubectl taint does) and annotations, at the version read. */
export async function patchNode(
  c: ClusterClients,
  node: NodeView,
  taints: Taint[],
  annotations: Record<string, string>,
): Promise<NodeView> {
  const body = {
    metadata: { resourceVersion: node.resourceVersion, annotations },
    spec: { taints },
  };
  const patched = await call(c, { verb: 'patch', resource: 'nodes' }, () =>
    c.core.patchNode({ name: node.name, body }, c.mergePatch),
  );
  return nodeView(patched);
}

export interface EventInput {
  namespace: string;
  involved: { apiVersion: string; kind: string; name: string; uid?: string; namespace?: string };
  reason: string;
  message: string;
  action: string;
  atMs: number;
}

/** A core/v1 Event about an object, as `kubectl describe` shows them. */
export async function createEvent(c: ClusterClients, e: EventInput): Promise<void> {
  const at = new Date(e.atMs);
  const body = {
    metadata: { generateName: `${e.involved.name}.gridshift.`, namespace: e.namespace },
    involvedObject: e.involved,
    reason: e.reason,
    message: e.message.slice(0, 1024),
    type: 'Normal',
    action: e.action,
    source: { component: 'gridshift-controller' },
    reportingComponent: 'gridshift.io/controller',
    reportingInstance: process.env.HOSTNAME ?? 'gridshift',
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
  await call(c, { verb: 'create', resource: 'events', namespace: e.namespace }, () =>
    c.core.createNamespacedEvent({ namespace: e.namespace, body }),
  );
}

/** A scaled workload's cap as the cluster has it: a ScaledObject's maxReplicaCount or an HPA's maxReplicas. */
export interface ScalerView {
  kind: 'ScaledObject' | 'HorizontalPodAutoscaler';
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
  maxReplicas: number | null;
  /** an HPA's minReplicas (default 1): its maxReplicas cannot go below it */
  minReplicas: number;
  annotations: Record<string, string>;
}

const KEDA = { group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects' };

export async function getScaledObject(
  c: ClusterClients,
  namespace: string,
  name: string,
): Promise<ScalerView> {
  // biome-ignore lint/suspicious/noExplicitAny: a custom object, read field by field
  const o: any = await call(c, { verb: 'get', resource: 'scaledobjects', namespace }, () =>
    c.custom.getNamespacedCustomObject({ ...KEDA, namespace, name }),
  );
  const max = o.spec?.maxReplicaCount;
  return {
    kind: 'ScaledObject',
    apiVersion: 'keda.sh/v1alpha1',
    namespace,
    name,
    uid: String(o.metadata?.uid ?? ''),
    maxReplicas: typeof max === 'number' ? max : null,
    minReplicas: 0,
    annotations: { ...(o.metadata?.annotations ?? {}) },
  };
}

/** The HPA that scales the Deployment (its scaleTargetRef), or null when none does. */
export async function hpaOfDeployment(
  c: ClusterClients,
  namespace: string,
  deployment: string,
): Promise<ScalerView | null> {
  const list = await call(c, { verb: 'list', resource: 'horizontalpodautoscalers', namespace }, () =>
    c.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
  );
  const hpa = list.items.find(
    (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === deployment,
  );
  if (!hpa) return null;
  return {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    namespace,
    name: String(hpa.metadata?.name),
    uid: String(hpa.metadata?.uid ?? ''),
    maxReplicas: hpa.spec?.maxReplicas ?? null,
    minReplicas: hpa.spec?.minReplicas ?? 1,
    annotations: { ...(hpa.metadata?.annotations ?? {}) },
  };
}

/** Writes the cap: `spec.maxReplicaCount` of a ScaledObject, `spec.maxReplicas` of an HPA. */
export async function patchCap(
  c: ClusterClients,
  s: ScalerView,
  maxReplicas: number,
  annotations: Record<string, string>,
): Promise<void> {
  const metadata = { annotations };
  if (s.kind === 'ScaledObject') {
    const body = { metadata, spec: { maxReplicaCount: maxReplicas } };
    await call(c, { verb: 'patch', resource: 'scaledobjects', namespace: s.namespace }, () =>
      c.custom.patchNamespacedCustomObject(
        { ...KEDA, namespace: s.namespace, name: s.name, body },
        c.mergePatch,
      ),
    );
    return;
  }
  const body = { metadata, spec: { maxReplicas } };
  await call(c, { verb: 'patch', resource: 'horizontalpodautoscalers', namespace: s.namespace }, () =>
    c.autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { namespace: s.namespace, name: s.name, body },
      c.mergePatch,
    ),
  );
}

/** A Job as the Cluster page shows it: whose load and attempt it is, and where it stands. */
export interface JobView {
  namespace: string;
  name: string;
  loadId: string | null;
  attempt: number | null;
  /** suspended (waiting for its start), running (or about to), succeeded, failed */
  state: 'suspended' | 'running' | 'succeeded' | 'failed';
  createdAt: string | null;
}

const trueCondition = (conditions: { type?: string; status?: string }[] | undefined, type: string) =>
  (conditions ?? []).some((c) => c.type === type && c.status === 'True');

// biome-ignore lint/suspicious/noExplicitAny: the client's V1Job, read field by field
function jobView(j: any): JobView {
  const labels = j.metadata?.labels ?? {};
  const attempt = Number(labels[ATTEMPT_LABEL]);
  const conditions = j.status?.conditions;
  const state = trueCondition(conditions, 'Complete')
    ? 'succeeded'
    : trueCondition(conditions, 'Failed')
      ? 'failed'
      : j.spec?.suspend
        ? 'suspended'
        : 'running';
  const created = j.metadata?.creationTimestamp;
  return {
    namespace: String(j.metadata?.namespace),
    name: String(j.metadata?.name),
    loadId: labels[LOAD_ID_LABEL] ?? null,
    attempt: Number.isInteger(attempt) ? attempt : null,
    state,
    createdAt: created ? new Date(created).toISOString() : null,
  };
}

/** gridshift's Jobs in a namespace: those with its `app.kubernetes.io/managed-by` label. */
export async function listGridshiftJobs(c: ClusterClients, namespace: string): Promise<JobView[]> {
  const labelSelector = `${MANAGED_BY_LABEL}=gridshift`;
  const list = await call(c, { verb: 'list', resource: 'jobs', namespace }, () =>
    c.batch.listNamespacedJob({ namespace, labelSelector }),
  );
  return list.items.map(jobView);
}
