import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { runCli } from '../../src/cli/program.ts';
import { type KubeApiDouble, startKubeApi } from '../helpers/kube-api.ts';
import { childEnv, MAIN, NODE, runChild, until } from './service-helpers.ts';

/** `gridshift k8s controller` against the Kubernetes API double, on the controller's CSV fixtures (2025-06-02). */

const FIXTURES = fileURLToPath(new URL('../fixtures/kube-controller/', import.meta.url));
const TAINT = { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' };

let api: KubeApiDouble;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  api = await startKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'gridshift-k8s-cli-'));
  kubeconfig = api.writeKubeconfig(dir);
  writeFileSync(
    join(dir, 'gridshift.config.yaml'),
    toYaml({
      defaults: { carbon: ['csv'], price: ['csv'], failurePolicy: 'open' },
      files: [
        { zone: 'DE', metric: 'carbon_average', path: join(FIXTURES, 'DE-carbon.csv') },
        { zone: 'DE', metric: 'price', path: join(FIXTURES, 'DE-price.csv') },
      ],
      kubernetes: {
        controller: {
          rules: {
            'gpu-expensive': {
              zone: 'DE',
              nodeSelector: 'gridshift.io/pool=gpu',
              taint: TAINT,
              when: { priceAbove: 0.3 },
              clearWhen: { priceAtOrBelow: 0.25 },
            },
          },
        },
      },
    }),
  );
  api.put({
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: 'gpu-1', labels: { 'gridshift.io/pool': 'gpu' } },
  });
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], cwd = dir) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { KUBECONFIG: kubeconfig, GRIDSHIFT_DATA_DIR: join(dir, 'data'), HOME: dir },
    cwd,
    now: () => Date.parse('2025-06-02T00:10:00Z'),
  });
  return { code, stdout, stderr };
}

// the first command creates the embedded store (PGlite's initdb and the migrations): slow on a busy machine
describe('gridshift k8s controller', { timeout: 90_000 }, () => {
  it('without kubernetes.controller in the configuration is bad input (exit 2)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gridshift-k8s-empty-'));
    try {
      const r = await run(['k8s', 'controller', '--once'], empty);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'error: no kubernetes.controller in the configuration: add rules or caps (see docs/kubernetes.md)\n',
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--once --dry-run prints what it would do and changes nothing', async () => {
    const r = await run(['k8s', 'controller', '--once', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '2025-06-02T00:10:00.000Z (dry run: nothing is changed)',
        '  DE: carbon 150 g/kWh, price 0.4 EUR/kWh, clean (csv)',
        '  would taint node/gpu-1 [gpu-expensive]: gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3',
        '',
      ].join('\n'),
    );
    expect(api.object('nodes', undefined, 'gpu-1')?.spec.taints).toBeUndefined();
  });

  it('--once taints the node, and the change is in the decision log', async () => {
    const r = await run(['--json', 'k8s', 'controller', '--once']);
    expect(r.code).toBe(0);
    const round = JSON.parse(r.stdout);
    expect(round).toMatchObject({
      dryRun: false,
      errors: [],
      changes: [{ kind: 'taint', object: 'node/gpu-1' }],
    });
    expect(api.object('nodes', undefined, 'gpu-1')?.spec.taints).toEqual([TAINT]);
    const log = await run(['audit', 'export']);
    expect(log.code).toBe(0);
    const kinds = log.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((d) => [d.kind, d.choice.dryRun]);
    expect(kinds).toEqual([
      ['kube_taint', true],
      ['kube_taint', false],
    ]);
  });

  it('exits 1 when the API refuses a permission, naming it', async () => {
    api.forbid('list', 'nodes');
    const r = await run(['k8s', 'controller', '--once']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'gridshift warn: rule gpu-expensive: not allowed to list nodes (API group core) at the cluster scope (HTTP 403 Forbidden)',
    );
    expect(r.stderr).toContain("grant the controller's user or service account the verb list on nodes");
    expect(r.stderr).toContain("error: 1 of the round's steps failed (see above)");
  });
});

describe('gridshift serve --k8s-controller', () => {
  it('runs the controller beside the API until SIGTERM', async () => {
    const own = mkdtempSync(join(tmpdir(), 'gridshift-k8s-serve-'));
    const cluster = await startKubeApi();
    try {
      // the offline profile always has a carbon intensity for DE: a rule on "above -1" taints at once
      writeFileSync(
        join(own, 'gridshift.config.yaml'),
        toYaml({
          kubernetes: {
            controller: {
              interval: '5s',
              rules: {
                always: {
                  zone: 'DE',
                  nodeSelector: 'gridshift.io/pool=serve-test',
                  taint: { key: 'gridshift.io/energy', value: 'any', effect: 'PreferNoSchedule' },
                  when: { carbonAbove: -1 },
                },
              },
            },
          },
        }),
      );
      cluster.put({
        kind: 'Node',
        apiVersion: 'v1',
        metadata: { name: 'serve-1', labels: { 'gridshift.io/pool': 'serve-test' } },
      });
      const env = childEnv({
        KUBECONFIG: cluster.writeKubeconfig(own),
        HOME: own,
        GRIDSHIFT_DATA_DIR: join(own, 'data'),
      });
      const server = spawn(NODE, [MAIN, 'serve', '--port', '0', '--k8s-controller'], { env, cwd: own });
      let out = '';
      server.stdout.on('data', (d) => (out += d));
      server.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
      try {
        await until('the node to be tainted', async () =>
          cluster.object('nodes', undefined, 'serve-1')?.spec.taints?.length ? true : undefined,
        );
        expect(out).toContain('Kubernetes controller: 1 taint rules, 0 replica caps, a round every 5s');
        expect(cluster.object('nodes', undefined, 'serve-1')?.spec.taints).toEqual([
          { key: 'gridshift.io/energy', value: 'any', effect: 'PreferNoSchedule' },
        ]);
      } finally {
        server.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      const log = await runChild(['audit', 'export'], env, own);
      expect(log.code, log.stderr).toBe(0);
      expect(
        log.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).kind),
      ).toEqual(['kube_taint']);
    } finally {
      await cluster.close();
      rmSync(own, { recursive: true, force: true });
    }
  }, 120_000);
});
