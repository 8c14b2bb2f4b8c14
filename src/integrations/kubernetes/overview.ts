import type { ControllerConfig } from '../../core/kubernetes-config.ts';
import type { ScalingTarget } from '../../core/scaling-config.ts';
import {
  type ClusterClients,
  getScaledObject,
  hpaOfDeployment,
  type JobView,
  listGridshiftJobs,
  listNodes,
  type NodeView,
} from './cluster.ts';
import { CAP_ANNOTATION, taintAnnotation } from './controller.ts';
import type { Taint } from './rules.ts';

/**
 * What the cluster looks like to the controller, read for the dashboard's Cluster page: the nodes its rules
 * select with all their taints (gridshift's marked with the rule that sets it and when it last changed it),
 * the cap each scaling target's ScaledObject or HPA has, and gridshift's Jobs. Reads only; each failure is
 * a sentence in `errors` and the rest is still read.
 */

export interface TaintOnNode extends Taint {
  /** the rule whose taint it is (same key and effect), or null for a taint gridshift does not manage */
  rule: string | null;
}

export interface RuleOnNode {
  rule: string;
  /** whether the rule's taint is on the node now */
  on: boolean;
  /** when gridshift last put it on or took it off (the node's annotation), or null */
  changedAt: string | null;
}

export interface NodeOverview {
  name: string;
  taints: TaintOnNode[];
  /** the rules whose node selector selects this node */
  rules: RuleOnNode[];
}

export interface ScalerOverview {
  kind: 'ScaledObject' | 'HorizontalPodAutoscaler';
  namespace: string;
  name: string;
  /** the cap the workload has: ScaledObject maxReplicaCount, HPA maxReplicas */
  maxReplicas: number | null;
  /** when gridshift last wrote it (its annotation), or null */
  changedAt: string | null;
}

export interface ClusterOverview {
  nodes: NodeOverview[];
  /** by scaling target name: its scaler, or null when no HPA scales its Deployment; absent when unreadable */
  scalers: Record<string, ScalerOverview | null>;
  jobs: JobView[];
  errors: string[];
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isoOf = (text: string | undefined): string | null => {
  const ms = Date.parse(text ?? '');
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
};

/**
 * The node as the page shows it: each taint marked with the rule (of `all`) that manages it, and the state
 * of each rule that selects the node.
 */
export function nodeOverview(
  node: NodeView,
  selecting: ControllerConfig['rules'],
  all: ControllerConfig['rules'],
): NodeOverview {
  const taints = node.taints.map((t) => ({
    ...t,
    rule: all.find((r) => r.taint.key === t.key && r.taint.effect === t.effect)?.name ?? null,
  }));
  return {
    name: node.name,
    taints,
    rules: selecting.map((r) => ({
      rule: r.name,
      on: node.taints.some((t) => t.key === r.taint.key && t.effect === r.taint.effect),
      changedAt: isoOf(node.annotations[taintAnnotation(r.name)]),
    })),
  };
}

/**
 * Reads the cluster: the nodes of every rule's selector (a node selected by several rules once), the
 * scalers of `capTargets`, gridshift's Jobs in `jobNamespaces`.
 */
export async function readClusterOverview(
  c: ClusterClients,
  config: ControllerConfig,
  scaling: Record<string, ScalingTarget>,
  jobNamespaces: readonly string[],
): Promise<ClusterOverview> {
  const errors: string[] = [];
  const byNode = new Map<string, { node: NodeView; rules: ControllerConfig['rules'] }>();
  await Promise.all(
    config.rules.map(async (rule) => {
      try {
        for (const node of await listNodes(c, rule.nodeSelector)) {
          const seen = byNode.get(node.name) ?? { node, rules: [] };
          seen.rules.push(rule);
          byNode.set(node.name, seen);
        }
      } catch (err) {
        errors.push(`rule ${rule.name}: ${message(err)}`);
      }
    }),
  );
  const nodes = [...byNode.values()]
    .map(({ node, rules }) =>
      nodeOverview(
        node,
        config.rules.filter((r) => rules.includes(r)),
        config.rules,
      ),
    )
    .sort((a, b) => a.name.localeCompare(b.name));

  const scalers: Record<string, ScalerOverview | null> = {};
  await Promise.all(
    config.caps.targets.map(async (name) => {
      const ref = scaling[name]?.ref;
      if (!ref) return;
      try {
        const s =
          ref.kind === 'ScaledObject'
            ? await getScaledObject(c, ref.namespace, ref.name)
            : await hpaOfDeployment(c, ref.namespace, ref.name);
        scalers[name] = s && {
          kind: s.kind,
          namespace: s.namespace,
          name: s.name,
          maxReplicas: s.maxReplicas,
          changedAt: isoOf(s.annotations[CAP_ANNOTATION]),
        };
      } catch (err) {
        errors.push(`scaling target ${name}: ${message(err)}`);
      }
    }),
  );

  const jobs: JobView[] = [];
  await Promise.all(
    [...new Set(jobNamespaces)].map(async (ns) => {
      try {
        jobs.push(...(await listGridshiftJobs(c, ns)));
      } catch (err) {
        errors.push(`Jobs in namespace ${ns}: ${message(err)}`);
      }
    }),
  );
  jobs.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name));
  return { nodes, scalers, jobs, errors: errors.sort() };
}
