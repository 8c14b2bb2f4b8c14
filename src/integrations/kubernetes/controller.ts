import type { ControllerConfig } from '../../core/kubernetes-config.ts';
import type { ScalingTarget } from '../../core/scaling-config.ts';
import type { Log } from '../../runner/context.ts';
import { apiStatus } from '../../runner/dispatch/kube-client.ts';
import { appendDecision } from '../../store/audit.ts';
import type { Db } from '../../store/db.ts';
import {
  type ClusterClients,
  createEvent,
  getNode,
  getScaledObject,
  hpaOfDeployment,
  listNodes,
  type NodeView,
  patchCap,
  patchNode,
  type ScalerView,
} from './cluster.ts';
import { decideCap, decideTaint, hasTaint, type Observed, type TaintRule, withTaint } from './rules.ts';
import type { ZoneReading } from './signal.ts';

/**
 * The Kubernetes controller: each round reads the zones' signals, decides per node and rule whether the
 * rule's taint should be on (rules.ts) and per scaling target what its replica cap should be, and applies
 * the changes: the node's taints or the ScaledObject's / HPA's cap patched, an Event on the object, an entry
 * in the decision log. When gridshift last changed a thing is kept on the object itself (an annotation), so
 * hold times survive restarts and several controllers agree. A dry run changes nothing in the cluster and
 * logs what it would do; it remembers its would-be changes so that its hold times and hysteresis play out
 * as they would.
 */

export interface ControllerDeps {
  clients: ClusterClients;
  config: ControllerConfig;
  scaling: Record<string, ScalingTarget>;
  /** the zone's signal now */
  read: (zone: string, nowMs: number) => Promise<ZoneReading>;
  /** the store whose decision log gets each change */
  db: Db;
  /** overrides config.dryRun */
  dryRun?: boolean;
  log?: Log;
}

export interface Change {
  kind: 'taint' | 'untaint' | 'cap';
  /** `node/<name>`, `scaledobject/<ns>/<name>` or `horizontalpodautoscaler/<ns>/<name>` */
  object: string;
  /** the rule (taints) or scaling target (caps) */
  by: string;
  from?: number | null;
  to?: number;
  reason: string;
  dryRun: boolean;
}

export interface Held {
  object: string;
  by: string;
  reason: string;
}

export interface RoundResult {
  at: string;
  dryRun: boolean;
  changes: Change[];
  held: Held[];
  /** failures (a refused permission, an unreachable server), each in a sentence; the round went on */
  errors: string[];
  readings: ZoneReading[];
}

export interface Controller {
  round(nowMs: number): Promise<RoundResult>;
}

/** The annotation that says when gridshift last changed the rule's taint on a node. */
export const taintAnnotation = (rule: string) => `gridshift.io/taint.${rule}`;
/** ... and a workload's replica cap. */
export const CAP_ANNOTATION = 'gridshift.io/cap-changed-at';

const sinceOf = (annotations: Record<string, string>, key: string): number | null => {
  const ms = Date.parse(annotations[key] ?? '');
  return Number.isFinite(ms) ? ms : null;
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createController(deps: ControllerDeps): Controller {
  const dryRun = deps.dryRun ?? deps.config.dryRun;
  /** a dry run's would-be state, by object and rule */
  const imagined = new Map<string, Observed<boolean> | Observed<number | null>>();

  return {
    async round(nowMs) {
      const result: RoundResult = {
        at: new Date(nowMs).toISOString(),
        dryRun,
        changes: [],
        held: [],
        errors: [],
        readings: [],
      };
      const readings = new Map<string, Promise<ZoneReading>>();
      const read = (zone: string) => {
        let pending = readings.get(zone);
        if (!pending) {
          pending = deps.read(zone, nowMs);
          readings.set(zone, pending);
          void pending.then((x) => result.readings.push(x));
        }
        return pending;
      };
      const r: Round = { deps, dryRun, imagined, nowMs, result };
      for (const rule of deps.config.rules) await taintRound(r, rule, await read(rule.zone));
      for (const name of deps.config.caps.targets) {
        const target = deps.scaling[name];
        if (target?.ref) await capRound(r, target, await read(target.zone));
      }
      await Promise.all(readings.values());
      return result;
    },
  };
}

/** What the steps of one round share. */
interface Round {
  deps: ControllerDeps;
  dryRun: boolean;
  /** a dry run's would-be state, by object and rule */
  imagined: Map<string, Observed<boolean> | Observed<number | null>>;
  nowMs: number;
  result: RoundResult;
}

async function taintRound(r: Round, rule: TaintRule, reading: ZoneReading) {
  let nodes: NodeView[];
  try {
    nodes = await listNodes(r.deps.clients, rule.nodeSelector);
  } catch (err) {
    r.result.errors.push(`rule ${rule.name}: ${message(err)}`);
    return;
  }
  for (const node of nodes) {
    try {
      await taintNode(r, rule, reading, node);
    } catch (err) {
      r.result.errors.push(`rule ${rule.name}, node ${node.name}: ${message(err)}`);
    }
  }
}

async function taintNode(r: Round, rule: TaintRule, reading: ZoneReading, first: NodeView) {
  const key = `node/${first.name}/${rule.name}`;
  const annotation = taintAnnotation(rule.name);
  let node = first;
  // a node changed between the list and the patch (409) is read again and decided afresh, once
  for (let attempt = 0; ; attempt++) {
    const observed = (r.dryRun ? (r.imagined.get(key) as Observed<boolean> | undefined) : undefined) ?? {
      value: hasTaint(node.taints, rule.taint),
      sinceMs: sinceOf(node.annotations, annotation),
    };
    const d = decideTaint(rule, reading, observed, r.nowMs);
    if (d.held) r.result.held.push({ object: `node/${node.name}`, by: rule.name, reason: d.reason });
    if (!d.change) return;
    const change: Change = {
      kind: d.value ? 'taint' : 'untaint',
      object: `node/${node.name}`,
      by: rule.name,
      reason: d.reason,
      dryRun: r.dryRun,
    };
    if (r.dryRun) {
      r.imagined.set(key, { value: d.value, sinceMs: r.nowMs });
    } else {
      try {
        await patchNode(r.deps.clients, node, withTaint(node.taints, rule.taint, d.value), {
          [annotation]: new Date(r.nowMs).toISOString(),
        });
      } catch (err) {
        if (apiStatus(err) === 409 && attempt === 0) {
          node = await getNode(r.deps.clients, node.name);
          continue;
        }
        throw err;
      }
      await event(r, {
        involved: { apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid },
        namespace: r.deps.config.eventNamespace,
        reason: d.value ? 'GridshiftTainted' : 'GridshiftUntainted',
        action: d.value ? 'Taint' : 'Untaint',
        message: d.reason,
        atMs: r.nowMs,
      });
    }
    await record(r, change, reading, { node: node.name, rule: rule.name, taint: rule.taint, on: d.value });
    r.result.changes.push(change);
    return;
  }
}

async function capRound(r: Round, target: ScalingTarget, reading: ZoneReading) {
  const ref = target.ref;
  if (!ref) return;
  let scaler: ScalerView | null;
  try {
    scaler =
      ref.kind === 'ScaledObject'
        ? await getScaledObject(r.deps.clients, ref.namespace, ref.name)
        : await hpaOfDeployment(r.deps.clients, ref.namespace, ref.name);
  } catch (err) {
    r.result.errors.push(`scaling target ${target.name}: ${message(err)}`);
    return;
  }
  if (!scaler) {
    r.result.errors.push(
      `scaling target ${target.name}: no HorizontalPodAutoscaler in namespace ${ref.namespace} scales Deployment ${ref.name}, so there is no cap to set`,
    );
    return;
  }
  const object = `${scaler.kind.toLowerCase()}/${scaler.namespace}/${scaler.name}`;
  const observed = (r.dryRun
    ? (r.imagined.get(object) as Observed<number | null> | undefined)
    : undefined) ?? {
    value: scaler.maxReplicas,
    sinceMs: sinceOf(scaler.annotations, CAP_ANNOTATION),
  };
  const policy = {
    bands: target.bands,
    fallbackMaxReplicas: target.fallbackMaxReplicas,
    hysteresisG: r.deps.config.caps.hysteresisG,
    minHoldMs: r.deps.config.caps.minHoldMs,
  };
  const d = decideCap(policy, reading.carbon, observed, r.nowMs);
  if (d.held) r.result.held.push({ object, by: target.name, reason: d.reason });
  if (!d.change) return;
  let to = d.value;
  let reason = d.reason;
  // an HPA keeps at least its minReplicas (and 1): the API refuses a maxReplicas below them
  const floor = scaler.kind === 'HorizontalPodAutoscaler' ? Math.max(1, scaler.minReplicas) : 0;
  if (to < floor) {
    to = floor;
    reason = `${reason} (the HorizontalPodAutoscaler's floor is ${floor}: set to ${floor})`;
    if (to === observed.value) return;
  }
  const change: Change = {
    kind: 'cap',
    object,
    by: target.name,
    from: observed.value,
    to,
    reason,
    dryRun: r.dryRun,
  };
  try {
    if (r.dryRun) r.imagined.set(object, { value: to, sinceMs: r.nowMs });
    else {
      await patchCap(r.deps.clients, scaler, to, { [CAP_ANNOTATION]: new Date(r.nowMs).toISOString() });
      await event(r, {
        involved: {
          apiVersion: scaler.apiVersion,
          kind: scaler.kind,
          name: scaler.name,
          namespace: scaler.namespace,
          uid: scaler.uid,
        },
        namespace: scaler.namespace,
        reason: 'GridshiftReplicaCap',
        action: 'Cap',
        message: reason,
        atMs: r.nowMs,
      });
    }
    await record(r, change, reading, { object, target: target.name, from: observed.value, to });
    r.result.changes.push(change);
  } catch (err) {
    r.result.errors.push(`scaling target ${target.name}: ${message(err)}`);
  }
}

/** An Event on the object; a failure to create it is reported, and the change stands. */
async function event(r: Round, e: Parameters<typeof createEvent>[1]) {
  try {
    await createEvent(r.deps.clients, e);
  } catch (err) {
    r.result.errors.push(`event on ${e.involved.kind} ${e.involved.name}: ${message(err)}`);
  }
}

async function record(r: Round, change: Change, reading: ZoneReading, choice: object) {
  await appendDecision(r.deps.db, {
    kind: `kube_${change.kind}`,
    inputs: {
      zone: reading.zone,
      at: reading.at,
      carbon: reading.carbon,
      price: reading.price,
      clean: reading.clean,
      carbonSource: reading.carbonSource,
      priceSource: reading.priceSource,
      ...(reading.notes.length ? { notes: reading.notes } : {}),
    },
    choice: { ...choice, dryRun: change.dryRun },
    reason: change.dryRun ? `dry run: ${change.reason}` : change.reason,
    atMs: r.nowMs,
  });
  r.deps.log?.('info', `${change.dryRun ? 'dry run: ' : ''}${change.object}: ${change.reason}`);
}

/**
 * Runs rounds every `intervalMs` until stopped: a round that fails as a whole is logged and the next one
 * tries again. `stop` waits for the round under way.
 */
export function runController(
  controller: Controller,
  options: {
    intervalMs: number;
    now?: () => number;
    log?: Log;
    onRound?: (r: RoundResult) => void;
  },
): { stop(): Promise<void> } {
  const now = options.now ?? Date.now;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = controller
      .round(now())
      .then((r) => {
        for (const e of r.errors) options.log?.('warn', `kubernetes controller: ${e}`);
        options.onRound?.(r);
      })
      .catch((err) => options.log?.('error', `kubernetes controller round failed: ${message(err)}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
