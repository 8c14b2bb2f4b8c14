import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/signals/config.ts';

/**
 * deploy/kubernetes rendered by `kubectl kustomize` (Debian's kubectl, which .ci/run installs) and checked:
 * the kinds each overlay gives, least-privilege RBAC, probes and scrape annotations on serve, no secret
 * values anywhere, and a configuration file that gridshift itself accepts.
 */

const DEPLOY = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
// biome-ignore lint/suspicious/noExplicitAny: rendered manifests, read field by field
type Obj = Record<string, any>;

function render(dir: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', `${DEPLOY}${dir}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // kustomize before v3 (kubectl 1.20, Debian bookworm's) leaves a document without a kind where a
  // `$patch: delete` removed an object (docs/kubernetes.md says to render the embedded overlay with 1.21+)
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && o.kind !== undefined);
}

const kinds = (objs: Obj[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  return o;
};
const container = (d: Obj) => d.spec.template.spec.containers[0];
/** rules as `group resource: verbs` lines, sorted */
const rulesOf = (role: Obj) =>
  (role.rules as Obj[])
    .flatMap((r) =>
      (r.apiGroups as string[]).flatMap((g) =>
        (r.resources as string[]).map((res) => `${g || 'core'} ${res}: ${[...r.verbs].sort().join(',')}`),
      ),
    )
    .sort();

const overlays = {
  base: render('base'),
  postgres: render('overlays/postgres'),
  embedded: render('overlays/embedded'),
};

describe('deploy/kubernetes', () => {
  it('renders the objects each overlay needs, all in the gridshift namespace', () => {
    const common = [
      'ClusterRole/gridshift-controller',
      'ClusterRoleBinding/gridshift-controller',
      'ConfigMap/gridshift-config',
      'Deployment/gridshift-serve',
      'Namespace/gridshift',
      'Role/gridshift-dispatcher',
      'RoleBinding/gridshift-dispatcher',
      'Service/gridshift',
      'ServiceAccount/gridshift',
    ];
    const withWorkers = [...common, 'Deployment/gridshift-worker', 'ServiceAccount/gridshift-worker'].sort();
    expect(kinds(overlays.base)).toEqual(withWorkers);
    expect(kinds(overlays.postgres)).toEqual(withWorkers);
    expect(kinds(overlays.embedded)).toEqual([...common, 'PersistentVolumeClaim/gridshift-data'].sort());
    for (const objs of Object.values(overlays))
      for (const o of objs)
        if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))
          expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(
            `${o.kind}/${o.metadata.name} in gridshift`,
          );
  });

  it('grants the dispatcher and the controller only what they use', () => {
    for (const objs of Object.values(overlays)) {
      expect(rulesOf(find(objs, 'Role', 'gridshift-dispatcher'))).toEqual([
        'batch jobs: create,delete,get,list,patch,watch',
        'core pods/log: get',
        'core pods: list',
      ]);
      expect(rulesOf(find(objs, 'ClusterRole', 'gridshift-controller'))).toEqual([
        'autoscaling horizontalpodautoscalers: list,patch',
        'core events: create',
        'core nodes: get,list,patch',
        'keda.sh scaledobjects: get,patch',
      ]);
      // nothing anywhere asks for secrets or a wildcard
      for (const role of objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole'))
        for (const r of role.rules as Obj[]) {
          expect([...r.verbs, ...r.resources, ...r.apiGroups]).not.toContain('*');
          expect(r.resources).not.toContain('secrets');
        }
      const controllerBinding = find(objs, 'ClusterRoleBinding', 'gridshift-controller');
      expect(controllerBinding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'gridshift-controller',
      });
      expect(controllerBinding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'gridshift', namespace: 'gridshift' },
      ]);
    }
    expect(
      find(overlays.postgres, 'RoleBinding', 'gridshift-dispatcher').subjects.map((s: Obj) => s.name),
    ).toEqual(['gridshift', 'gridshift-worker']);
    expect(
      find(overlays.embedded, 'RoleBinding', 'gridshift-dispatcher').subjects.map((s: Obj) => s.name),
    ).toEqual(['gridshift']);
    // the workers' account is not the controller's
    expect(container(find(overlays.postgres, 'Deployment', 'gridshift-worker'))).toBeDefined();
    expect(
      find(overlays.postgres, 'Deployment', 'gridshift-worker').spec.template.spec.serviceAccountName,
    ).toBe('gridshift-worker');
  });

  it('probes serve on /healthz and /readyz and lets Prometheus scrape /metrics', () => {
    for (const objs of Object.values(overlays)) {
      const serve = find(objs, 'Deployment', 'gridshift-serve');
      const c = container(serve);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(serve.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '8080',
        'prometheus.io/path': '/metrics',
      });
      expect(serve.spec.template.spec.serviceAccountName).toBe('gridshift');
      // the grace period outlasts --grace (30 s), as docs/deployment.md asks
      expect(serve.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(30);
      const service = find(objs, 'Service', 'gridshift');
      expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http' }]);
      for (const [k, v] of Object.entries(service.spec.selector))
        expect(serve.spec.template.metadata.labels[k]).toBe(v);
      expect(c.image).toBe('gridshift:0.1.0');
    }
  });

  it('runs serve and workers on PostgreSQL, or one pod on the embedded store', () => {
    const serve = container(find(overlays.postgres, 'Deployment', 'gridshift-serve'));
    expect(serve.args).toEqual([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--no-worker',
      '--k8s-controller',
    ]);
    const worker = find(overlays.postgres, 'Deployment', 'gridshift-worker');
    expect(worker.spec.replicas).toBe(3);
    expect(container(worker).args[0]).toBe('worker');
    for (const d of [find(overlays.postgres, 'Deployment', 'gridshift-serve'), worker])
      expect(container(d).env.find((e: Obj) => e.name === 'DATABASE_URL')).toEqual({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'gridshift-database', key: 'DATABASE_URL' } },
      });

    const one = find(overlays.embedded, 'Deployment', 'gridshift-serve');
    expect(one.spec.replicas).toBe(1);
    expect(one.spec.strategy).toEqual({ type: 'Recreate' });
    const c = container(one);
    expect(c.args).toEqual(['serve', '--host', '0.0.0.0', '--port', '8080', '--k8s-controller']);
    // (the order of a merged env list differs between kustomize versions)
    expect([...c.env].sort((a: Obj, b: Obj) => a.name.localeCompare(b.name))).toEqual([
      { name: 'GRIDSHIFT_CONFIG', value: '/etc/gridshift/gridshift.config.yaml' },
      { name: 'GRIDSHIFT_DATA_DIR', value: '/var/lib/gridshift' },
      { name: 'HOME', value: '/tmp' },
    ]);
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/gridshift' });
    expect(one.spec.template.spec.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'gridshift-data' },
    });
  });

  it('holds no secret values: no Secret objects, environment values only from references', () => {
    for (const objs of Object.values(overlays)) {
      expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
      const text = JSON.stringify(objs);
      expect(text).not.toMatch(/postgres(ql)?:\/\//);
      for (const d of objs.filter((o) => o.kind === 'Deployment'))
        for (const e of container(d).env as Obj[])
          if (e.value !== undefined)
            expect(['GRIDSHIFT_CONFIG', 'HOME', 'GRIDSHIFT_DATA_DIR']).toContain(e.name);
    }
  });

  it('ships a configuration file that gridshift accepts, its controller in dry run', () => {
    const map = find(overlays.base, 'ConfigMap', 'gridshift-config');
    const text = map.data['gridshift.config.yaml'] as string;
    const doc = parseAllDocuments(text)[0].toJS();
    const config = parseConfig(doc, { source: 'gridshift.config.yaml', baseDir: '/etc/gridshift', env: {} });
    expect(config.kubernetesController).toMatchObject({ dryRun: true, rules: [{ name: 'gpu-expensive' }] });
    const serve = container(find(overlays.base, 'Deployment', 'gridshift-serve'));
    expect(serve.volumeMounts).toContainEqual({
      name: 'config',
      mountPath: '/etc/gridshift',
      readOnly: true,
    });
  });
});
