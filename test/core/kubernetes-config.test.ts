import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/signals/config.ts';

const parse = (kubernetes: unknown, scaling: unknown = {}) =>
  parseConfig(
    { kubernetes, scaling },
    { source: 'gridshift.config.yaml', baseDir: '/etc/gridshift', env: {} },
  );
const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error');
};
const rule = (over: Record<string, unknown> = {}) => ({
  zone: 'DE',
  nodeSelector: 'gridshift.io/pool=gpu',
  taint: { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' },
  when: { priceAbove: 0.3 },
  ...over,
});
const web = {
  zone: 'DE',
  bands: [{ threshold: 200, maxReplicas: 10 }],
  fallbackMaxReplicas: 2,
  ref: { kind: 'ScaledObject', namespace: 'shop', name: 'web' },
};

describe('kubernetes.controller in the configuration', () => {
  it('fills in the defaults: every scaling target with a ref is capped', () => {
    const c = parse(
      { kubeconfig: 'kube/config', controller: { rules: { gpu: rule() } } },
      { web, bare: { ...web, ref: undefined } },
    ).kubernetesController;
    expect(c).toEqual({
      kubeconfig: '/etc/gridshift/kube/config',
      intervalMs: 60_000,
      dryRun: false,
      eventNamespace: 'default',
      rules: [
        {
          name: 'gpu',
          zone: 'DE',
          nodeSelector: 'gridshift.io/pool=gpu',
          taint: { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' },
          when: { priceAbove: 0.3 },
          clearWhen: {},
          minHoldMs: 15 * 60_000,
        },
      ],
      caps: { targets: ['web'], hysteresisG: 0, minHoldMs: 10 * 60_000 },
    });
    expect(parse({}).kubernetesController).toBeUndefined();
  });

  it('refuses bad entries naming the key', () => {
    const bad = (controller: unknown, scaling?: unknown) => message(() => parse({ controller }, scaling));
    expect(bad({ rules: { gpu: rule({ when: {} }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu.when: give at least one of priceAbove, carbonAbove, notClean: true',
    );
    expect(bad({ rules: { gpu: rule({ clearWhen: { priceAtOrBelow: 0.4 } }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu.clearWhen.priceAtOrBelow: must be at most when.priceAbove (0.3)',
    );
    expect(bad({ rules: { gpu: rule({ clearWhen: { carbonAtOrBelow: 100 } }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu.clearWhen.carbonAtOrBelow: needs when.carbonAbove',
    );
    expect(bad({ rules: { gpu: rule({ taint: { key: 'a', value: 'b', effect: 'Evict' } }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu.taint.effect: must be NoSchedule, PreferNoSchedule or NoExecute',
    );
    expect(bad({ rules: { gpu: rule({ nodeSelector: 'pool in (gpu)' }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu.nodeSelector: "pool in (gpu)" is not a label selector term (key, key=value, key!=value, !key; comma-separated)',
    );
    expect(bad({ rules: { GPU: rule() } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.GPU: a rule name is lower-case letters, digits and "-", at most 40 characters',
    );
    expect(bad({ rules: { gpu: rule({ zone: 'Atlantis' }) } })).toMatch(
      /^gridshift\.config\.yaml: kubernetes\.controller\.rules\.gpu\.zone: /,
    );
    expect(bad({ interval: '1s' })).toBe(
      'gridshift.config.yaml: kubernetes.controller.interval: must be at least 5s',
    );
    expect(bad({ caps: { targets: ['api'] } }, { web })).toBe(
      'gridshift.config.yaml: kubernetes.controller.caps.targets[0]: no scaling target "api" (configured: web)',
    );
    expect(bad({ caps: { targets: ['web'] } }, { web: { ...web, ref: undefined } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.caps.targets[0]: scaling.web has no ref: say which ScaledObject or Deployment it caps',
    );
    expect(bad({ rules: { gpu: rule(), gpu2: rule({ nodeSelector: 'pool=gpu2' }) } })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rules.gpu2.taint: rule gpu sets the same taint (gridshift.io/energy:NoSchedule); give each rule its own key or effect',
    );
    expect(bad({ rulez: {} })).toBe(
      'gridshift.config.yaml: kubernetes.controller.rulez: unknown key "rulez"',
    );
  });

  it('accepts the other selector forms', () => {
    const c = parse({
      controller: { rules: { gpu: rule({ nodeSelector: 'gridshift.io/pool=gpu, !spot,zone!=b,gpu' }) } },
    }).kubernetesController;
    expect(c?.rules[0].nodeSelector).toBe('gridshift.io/pool=gpu,!spot,zone!=b,gpu');
  });
});
