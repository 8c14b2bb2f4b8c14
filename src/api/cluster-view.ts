import { z } from 'zod';
import type { ControllerConfig } from '../core/kubernetes-config.ts';
import type { Load, LoadState } from '../core/load.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { clusterClients, type JobView } from '../integrations/kubernetes/cluster.ts';
import { type ClusterOverview, readClusterOverview } from '../integrations/kubernetes/overview.ts';
import { decisionRecord, recentDecisionsOf } from '../store/audit.ts';
import { countLoadsOfDispatch, loadsOfDispatch } from '../store/loads.ts';
import type { ApiContext } from './context.ts';
import { capOf, capSchema } from './scaling-view.ts';
import { isoTime } from './schemas.ts';

/**
 * What the dashboard's Cluster page shows, in one answer: the Kubernetes controller's settings, the nodes
 * its rules select with their taints, each scaling target's cap now beside the cap its workload has, the
 * Kubernetes loads' Jobs by state, and the controller's recent decisions. The cluster is read as the
 * controller reads it (its kubeconfig and context); when it cannot be read, the rest still answers and
 * `degraded` says why.
 */

/** the decision kinds the controller writes */
export const CONTROLLER_DECISION_KINDS = ['kube_taint', 'kube_untaint', 'kube_cap'] as const;
const DECISIONS_SHOWN = 50;
const LOADS_SHOWN = 100;

const JOB_STATES = ['waiting', 'suspended', 'running', 'succeeded', 'failed', 'cancelled'] as const;
type JobState = (typeof JOB_STATES)[number];

const taintSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.string(),
  timeAdded: isoTime.optional(),
  rule: z.string().nullable().describe("the controller's rule whose taint it is; null: not gridshift's"),
});

const nodeSchema = z.object({
  name: z.string(),
  taints: z.array(taintSchema).describe('every taint of the node, gridshift’s and others'),
  rules: z
    .array(
      z.object({
        rule: z.string(),
        on: z.boolean().describe("whether the rule's taint is on the node"),
        changedAt: isoTime.nullable().describe('when gridshift last put it on or took it off'),
      }),
    )
    .describe('the rules whose node selector selects the node'),
});

const workloadSchema = z.object({
  kind: z.enum(['ScaledObject', 'HorizontalPodAutoscaler']),
  namespace: z.string(),
  name: z.string(),
  maxReplicas: z.number().int().nullable().describe('ScaledObject maxReplicaCount or HPA maxReplicas'),
  changedAt: isoTime.nullable().describe('when gridshift last wrote the cap'),
});

const targetSchema = z.object({
  cap: capSchema.describe('the cap now, as GET /v1/scaling/{target} gives it'),
  applied: z.boolean().describe('whether the controller writes this cap into the cluster'),
  workload: workloadSchema
    .nullable()
    .describe('the cap the workload has; null when it could not be read or nothing scales it'),
  note: z.string().optional().describe('why there is no workload'),
});

const jobSchema = z.object({
  loadId: z.string().nullable(),
  loadName: z.string().nullable(),
  loadState: z.string().nullable(),
  state: z.enum(JOB_STATES).describe('the Job as the cluster has it, else as the load stands'),
  namespace: z.string().nullable(),
  job: z.string().nullable().describe('the Job name, when the cluster was read and has it'),
  attempt: z.number().int().nullable(),
  plannedStart: isoTime.nullable(),
});

const decisionSchema = z.object({
  seq: z.number().int(),
  at: isoTime,
  kind: z.string(),
  object: z.string().describe('node/<name>, scaledobject/<ns>/<name> or horizontalpodautoscaler/<ns>/<name>'),
  by: z.string().describe('the rule or the scaling target'),
  on: z.boolean().optional().describe('taints: on or off'),
  from: z.number().nullable().optional(),
  to: z.number().optional(),
  dryRun: z.boolean(),
  reason: z.string(),
});

export const clusterSchema = z
  .object({
    at: isoTime,
    controller: z.object({
      dryRun: z.boolean(),
      intervalSeconds: z.number(),
      eventNamespace: z.string(),
      context: z.string().nullable(),
      rules: z.array(
        z.object({
          name: z.string(),
          zone: z.string(),
          nodeSelector: z.string(),
          taint: z.object({ key: z.string(), value: z.string(), effect: z.string() }),
          when: z.object({
            priceAbove: z.number().optional(),
            carbonAbove: z.number().optional(),
            notClean: z.boolean().optional(),
          }),
          clearWhen: z.object({
            priceAtOrBelow: z.number().optional(),
            carbonAtOrBelow: z.number().optional(),
          }),
          minHoldMinutes: z.number(),
        }),
      ),
      caps: z.object({ targets: z.array(z.string()), hysteresisG: z.number(), minHoldMinutes: z.number() }),
    }),
    reachable: z.boolean().describe('whether the Kubernetes API server answered'),
    degraded: z.array(z.string()).describe('what could not be read, each in a sentence'),
    nodes: z.array(nodeSchema),
    targets: z.array(targetSchema),
    jobs: z.object({
      counts: z
        .record(z.enum(['waiting', 'running', 'succeeded', 'failed', 'cancelled']), z.number().int())
        .describe('every load with a kubernetes dispatch target, by its state (waiting: planned or waiting)'),
      list: z
        .array(jobSchema)
        .describe('the newest loads with a kubernetes target, and Jobs of no such load'),
    }),
    decisions: z.array(decisionSchema).describe("the controller's newest decisions, newest first"),
  })
  .meta({ id: 'Cluster' });

export type ClusterView = z.infer<typeof clusterSchema>;

const COUNTED: Record<LoadState, keyof ClusterView['jobs']['counts']> = {
  planned: 'waiting',
  waiting: 'waiting',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  dead: 'failed',
  cancelled: 'cancelled',
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function controllerView(c: ControllerConfig): ClusterView['controller'] {
  return {
    dryRun: c.dryRun,
    intervalSeconds: c.intervalMs / 1000,
    eventNamespace: c.eventNamespace,
    context: c.context ?? null,
    rules: c.rules.map((r) => ({
      name: r.name,
      zone: r.zone,
      nodeSelector: r.nodeSelector,
      taint: r.taint,
      when: r.when,
      clearWhen: r.clearWhen,
      minHoldMinutes: r.minHoldMs / MINUTE_MS,
    })),
    caps: {
      targets: c.caps.targets,
      hysteresisG: c.caps.hysteresisG,
      minHoldMinutes: c.caps.minHoldMs / MINUTE_MS,
    },
  };
}

/** A load's Job state: its newest Job's, when the cluster has one, else from the load's state. */
function jobRow(load: Load, jobs: JobView[]): ClusterView['jobs']['list'][number] {
  const job = jobs.filter((j) => j.loadId === load.id).sort((a, b) => (b.attempt ?? 0) - (a.attempt ?? 0))[0];
  const fromLoad: JobState = COUNTED[load.state];
  const namespace = typeof load.dispatch.namespace === 'string' ? load.dispatch.namespace : null;
  return {
    loadId: load.id,
    loadName: load.name,
    loadState: load.state,
    state: load.state === 'cancelled' ? 'cancelled' : (job?.state ?? fromLoad),
    namespace: job?.namespace ?? namespace,
    job: job?.name ?? null,
    attempt: job?.attempt ?? (load.attempt > 0 ? load.attempt : null),
    plannedStart: load.plannedStartMs === null ? null : toIso(load.plannedStartMs),
  };
}

function decisionRow(d: ReturnType<typeof decisionRecord>): ClusterView['decisions'][number] {
  const c = (d.choice ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    seq: d.seq,
    at: d.at,
    kind: d.kind,
    object: c.node !== undefined ? `node/${str(c.node)}` : str(c.object),
    by: str(c.rule ?? c.target),
    ...(typeof c.on === 'boolean' ? { on: c.on } : {}),
    ...(c.from === null || typeof c.from === 'number' ? { from: c.from as number | null } : {}),
    ...(typeof c.to === 'number' ? { to: c.to } : {}),
    dryRun: c.dryRun === true,
    reason: d.reason,
  };
}

/** The Cluster page's answer for the configured controller. */
export async function clusterView(ctx: ApiContext, controller: ControllerConfig): Promise<ClusterView> {
  const [counts, loads, decisions] = await Promise.all([
    countLoadsOfDispatch(ctx.store, 'kubernetes'),
    loadsOfDispatch(ctx.store, 'kubernetes', LOADS_SHOWN),
    recentDecisionsOf(ctx.store, CONTROLLER_DECISION_KINDS, DECISIONS_SHOWN),
  ]);
  const namespaces = loads
    .map((l) => l.dispatch.namespace)
    .filter((ns): ns is string => typeof ns === 'string');
  let overview: ClusterOverview | null = null;
  const degraded: string[] = [];
  try {
    const clients = await clusterClients(controller);
    overview = await readClusterOverview(clients, controller, ctx.config.scaling, namespaces);
    degraded.push(...overview.errors);
  } catch (err) {
    degraded.push(message(err));
  }
  const reachable = overview !== null && !degraded.some((e) => e.includes('could not reach'));

  const targets = await Promise.all(
    Object.values(ctx.config.scaling).map(async (t) => {
      const applied = controller.caps.targets.includes(t.name);
      const scaler = overview?.scalers[t.name];
      const note = !applied
        ? 'the controller does not write this cap (not in kubernetes.controller.caps.targets)'
        : scaler === null
          ? `no HorizontalPodAutoscaler scales Deployment ${t.ref?.name} in namespace ${t.ref?.namespace}`
          : scaler === undefined
            ? 'the workload could not be read'
            : undefined;
      return {
        cap: await capOf(ctx, t),
        applied,
        workload: scaler ?? null,
        ...(note ? { note } : {}),
      };
    }),
  );

  const counted = { waiting: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const [state, n] of Object.entries(counts)) counted[COUNTED[state as LoadState]] += n;
  const jobs = overview?.jobs ?? [];
  const shown = new Set(loads.map((l) => l.id));
  const list = [
    ...loads.map((l) => jobRow(l, jobs)),
    ...jobs
      .filter((j) => j.loadId === null || !shown.has(j.loadId))
      .map((j) => ({
        loadId: j.loadId,
        loadName: null,
        loadState: null,
        state: j.state,
        namespace: j.namespace,
        job: j.name,
        attempt: j.attempt,
        plannedStart: null,
      })),
  ];

  return {
    at: toIso(ctx.nowMs()),
    controller: controllerView(controller),
    reachable,
    degraded,
    nodes: overview?.nodes ?? [],
    targets,
    jobs: { counts: counted, list },
    decisions: decisions.map((d) => decisionRow(decisionRecord(d))),
  };
}
