import { z } from 'zod';
import { MINUTE_MS } from './time.ts';
import { resolveZone } from './zones.ts';

/**
 * `kubernetes.controller` in the configuration file: rules that map a zone's signal to a node taint, and
 * which `scaling` targets get their replica cap written into the cluster (see
 * integrations/kubernetes/rules.ts for what the fields mean).
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface TaintRuleConfig {
  name: string;
  /** zone code */
  zone: string;
  nodeSelector: string;
  taint: { key: string; value: string; effect: TaintEffect };
  when: { priceAbove?: number; carbonAbove?: number; notClean?: boolean };
  clearWhen: { priceAtOrBelow?: number; carbonAtOrBelow?: number };
  minHoldMs: number;
}

export interface ControllerConfig {
  /** a kubeconfig file; default KUBECONFIG, ~/.kube/config, else the pod's service account */
  kubeconfig?: string;
  context?: string;
  intervalMs: number;
  dryRun: boolean;
  /** where node events are created (nodes have no namespace; kubelet uses `default`) */
  eventNamespace: string;
  rules: TaintRuleConfig[];
  caps: {
    /** names under `scaling` whose caps are applied; default every target with a `ref` */
    targets: string[];
    hysteresisG: number;
    minHoldMs: number;
  };
}

const minutes = z.number().min(0, 'must be 0 or more');
/** taint keys and label keys: an optional DNS-subdomain prefix and a name of at most 63 characters */
const QUALIFIED = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** the selector forms the controller supports: `key`, `key=value`, `key==value`, `key!=value`, comma-separated */
const SELECTOR_TERM = /^(!?)([^=!,\s]+)(?:(==|=|!=)([^=!,\s]*))?$/;

const ruleSchema = z.strictObject({
  zone: z.string().min(1),
  nodeSelector: z.string().min(1, 'give a label selector, e.g. gridshift.io/pool=gpu'),
  taint: z.strictObject({
    key: z.string().regex(QUALIFIED, 'must be a taint key such as gridshift.io/energy'),
    value: z.string().regex(LABEL_VALUE, 'must be a label value (letters, digits, -, _, .; at most 63)'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], {
      message: 'must be NoSchedule, PreferNoSchedule or NoExecute',
    }),
  }),
  when: z.strictObject({
    priceAbove: z.number().optional(),
    carbonAbove: z.number().optional(),
    notClean: z.boolean().optional(),
  }),
  clearWhen: z
    .strictObject({ priceAtOrBelow: z.number().optional(), carbonAtOrBelow: z.number().optional() })
    .optional(),
  minHoldMinutes: minutes.default(15),
});

export const kubernetesSchema = z.strictObject({
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  controller: z
    .strictObject({
      interval: z.string().default('1m'),
      dryRun: z.boolean().default(false),
      eventNamespace: z.string().min(1).default('default'),
      rules: z.record(z.string(), ruleSchema).default({}),
      caps: z
        .strictObject({
          targets: z.array(z.string()).optional(),
          hysteresis: z.number().min(0, 'must be 0 or more (g/kWh)').default(0),
          minHoldMinutes: minutes.default(10),
        })
        .optional(),
    })
    .optional(),
});

type Raw = z.infer<typeof kubernetesSchema>;
const NAME = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** The controller's settings, checked: rule names, zones, selectors, hysteresis on the right side, known targets. */
export function readKubernetes(
  raw: Raw | undefined,
  scalingTargets: Record<string, { ref?: unknown }>,
  parseDurationMs: (text: string) => number,
  fail: (keyPath: string, message: string) => never,
): ControllerConfig | undefined {
  const c = raw?.controller;
  if (!c) return undefined;
  let intervalMs: number;
  try {
    intervalMs = parseDurationMs(c.interval);
  } catch (err) {
    return fail('kubernetes.controller.interval', (err as Error).message);
  }
  if (intervalMs < 5000) fail('kubernetes.controller.interval', 'must be at least 5s');
  const rules = Object.entries(c.rules).map(([name, r]) => readRule(name, r, fail));
  // a taint is its key and effect on a node: two rules setting one would undo each other
  rules.forEach((r, i) => {
    const other = rules
      .slice(0, i)
      .find((o) => o.taint.key === r.taint.key && o.taint.effect === r.taint.effect);
    if (other)
      fail(
        `kubernetes.controller.rules.${r.name}.taint`,
        `rule ${other.name} sets the same taint (${r.taint.key}:${r.taint.effect}); give each rule its own key or effect`,
      );
  });
  const capTargets =
    c.caps?.targets ??
    Object.entries(scalingTargets)
      .filter(([, t]) => t.ref !== undefined)
      .map(([n]) => n);
  capTargets.forEach((name, i) => {
    const at = `kubernetes.controller.caps.targets[${i}]`;
    const t = scalingTargets[name];
    if (!t)
      fail(
        at,
        `no scaling target "${name}" (configured: ${Object.keys(scalingTargets).join(', ') || 'none'})`,
      );
    if (!t.ref) fail(at, `scaling.${name} has no ref: say which ScaledObject or Deployment it caps`);
  });
  return {
    ...(raw?.kubeconfig ? { kubeconfig: raw.kubeconfig } : {}),
    ...(raw?.context ? { context: raw.context } : {}),
    intervalMs,
    dryRun: c.dryRun,
    eventNamespace: c.eventNamespace,
    rules,
    caps: {
      targets: capTargets,
      hysteresisG: c.caps?.hysteresis ?? 0,
      minHoldMs: (c.caps?.minHoldMinutes ?? 10) * MINUTE_MS,
    },
  };
}

function readRule(
  name: string,
  r: z.infer<typeof ruleSchema>,
  fail: (keyPath: string, message: string) => never,
): TaintRuleConfig {
  const at = `kubernetes.controller.rules.${name}`;
  if (!NAME.test(name)) fail(at, 'a rule name is lower-case letters, digits and "-", at most 40 characters');
  let zone: string;
  try {
    zone = resolveZone(r.zone).code;
  } catch (err) {
    return fail(`${at}.zone`, (err as Error).message.replace(/^zone: /, ''));
  }
  for (const term of r.nodeSelector.split(',').map((t) => t.trim())) {
    const m = SELECTOR_TERM.exec(term);
    if (!m || !QUALIFIED.test(m[2]) || (m[4] !== undefined && !LABEL_VALUE.test(m[4])) || (m[1] && m[3]))
      fail(
        `${at}.nodeSelector`,
        `"${term}" is not a label selector term (key, key=value, key!=value, !key; comma-separated)`,
      );
  }
  const { priceAbove, carbonAbove, notClean } = r.when;
  if (priceAbove === undefined && carbonAbove === undefined && !notClean)
    fail(`${at}.when`, 'give at least one of priceAbove, carbonAbove, notClean: true');
  const clear = r.clearWhen ?? {};
  if (clear.priceAtOrBelow !== undefined) {
    if (priceAbove === undefined) fail(`${at}.clearWhen.priceAtOrBelow`, 'needs when.priceAbove');
    else if (clear.priceAtOrBelow > priceAbove)
      fail(`${at}.clearWhen.priceAtOrBelow`, `must be at most when.priceAbove (${priceAbove})`);
  }
  if (clear.carbonAtOrBelow !== undefined) {
    if (carbonAbove === undefined) fail(`${at}.clearWhen.carbonAtOrBelow`, 'needs when.carbonAbove');
    else if (clear.carbonAtOrBelow > carbonAbove)
      fail(`${at}.clearWhen.carbonAtOrBelow`, `must be at most when.carbonAbove (${carbonAbove})`);
  }
  return {
    name,
    zone,
    nodeSelector: r.nodeSelector
      .split(',')
      .map((t) => t.trim())
      .join(','),
    taint: r.taint,
    when: {
      ...(priceAbove !== undefined ? { priceAbove } : {}),
      ...(carbonAbove !== undefined ? { carbonAbove } : {}),
      ...(notClean ? { notClean } : {}),
    },
    clearWhen: {
      ...(clear.priceAtOrBelow !== undefined ? { priceAtOrBelow: clear.priceAtOrBelow } : {}),
      ...(clear.carbonAtOrBelow !== undefined ? { carbonAtOrBelow: clear.carbonAtOrBelow } : {}),
    },
    minHoldMs: r.minHoldMinutes * MINUTE_MS,
  };
}
