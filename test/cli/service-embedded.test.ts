import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.ts';
import { embeddedBackend } from '../api/helpers.ts';
import { startServer } from '../helpers/http-server.ts';
import type { TestBackend } from '../store/backends.ts';
import { okJson as json, runIn } from './service-helpers.ts';

/**
 * The service commands directly on an embedded store, with no server running: submit, loads, status,
 * pause/resume, report, token, audit, in this process. Signals come from the CLI fixture configuration
 * (CSV series for DE, hourly, 2024-03-27..29) and the clock is 2024-03-27 06:00 UTC, so plans are known:
 * a 1-hour, 1 kW load with 12 hours to go runs 12:00-13:00 UTC at 240 g/kWh (240 g) instead of at once
 * at 378 g/kWh (378 g): it saves 138 g (36.5 %).
 */

const NOW = Date.parse('2024-03-27T06:00:00Z');
let backend: TestBackend;
let dataDir: string;

beforeAll(async () => {
  backend = embeddedBackend();
  const store = await backend.open();
  dataDir = (store as Store & { dataDir: string }).dataDir;
  await store.close();
});
afterAll(async () => {
  await backend?.cleanup();
});

const gs = (args: string[], env: Record<string, string> = {}, nowMs = NOW) =>
  runIn(args, { env: { GRIDSHIFT_DATA_DIR: dataDir, ...env }, nowMs });

const shellLoad = ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', '+12h'];
/** `gridshift submit --json` of the 1-hour, 1 kW load above named `name`, with more flags. */
const submitJson = async (name: string, ...flags: string[]) =>
  json(await gs(['submit', '--name', name, ...shellLoad, ...flags, '--json']));

describe('gridshift plan and gridshift submit --dry-run: one planning function', () => {
  const planVsDryRun = async (flags: string[], nowMs: number) => {
    const plan = json(await gs(['plan', '--name', 'same', ...flags, '--json'], {}, nowMs));
    const dry = json(
      await gs(['submit', '--name', 'same', ...flags, '--no-dispatch', '--dry-run', '--json'], {}, nowMs),
    ).plan;
    const keep = (p: Record<string, unknown>) => ({
      zone: p.zone,
      reason: p.reason,
      runs: p.runs,
      emissionsG: p.emissionsG,
      baseline: p.baseline,
      savings: p.savings,
    });
    expect(keep(dry)).toEqual(keep(plan));
    return plan;
  };

  it('give the same window, run-now baseline and savings when now is inside a slot', async () => {
    // 06:10: the run-now baseline starts now (06:10-07:10), not at the next boundary
    const plan = await planVsDryRun(
      ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', '+12h'],
      NOW + 10 * 60_000,
    );
    expect(plan.baseline.runs).toEqual([{ start: '2024-03-27T06:10:00Z', end: '2024-03-27T07:10:00Z' }]);
    expect(plan.runs).toEqual([{ start: '2024-03-27T12:00:00Z', end: '2024-03-27T13:00:00Z' }]);
  });

  it('both accept a window shorter than a slot and run the load at once, saying why', async () => {
    const flags = ['--zone', 'DE', '--duration', '1m', '--power', '1kW', '--deadline', '+10m'];
    const plan = await planVsDryRun(flags, NOW + 7 * 60_000);
    expect(plan.reason).toBe('no-room');
    expect(plan.runs).toEqual([{ start: '2024-03-27T06:07:00Z', end: '2024-03-27T06:08:00Z' }]);
    const text = await gs(['plan', ...flags], {}, NOW + 7 * 60_000);
    expect(text.stdout).toContain(
      'Why: the time to the deadline leaves no other start on the 30-minute planning grid, so it runs at once',
    );
  });

  it('both refuse a deadline past the planning window, naming the flag and the limit', async () => {
    for (const command of [['plan'], ['submit', '--no-dispatch']]) {
      const r = await gs([
        ...command,
        '--name',
        'far',
        ...['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', '9999-12-31T00:00:00Z'],
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: --deadline: .* the planning window may be at most 60 days\n$/);
    }
  });
});

describe('gridshift submit (embedded store)', () => {
  it('--dry-run shows the plan and stores nothing', async () => {
    const r = await gs(['submit', '--name', 'preview', ...shellLoad, '--command', 'true', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Run preview in DE Wed 27 Mar 13:00–14:00 \(Europe\/Berlin\)$/m);
    expect(r.stdout).toContain('Saves: 138 g CO2eq (36.5%)');
    expect(r.stdout).toContain('Dry run: nothing was stored.');
    expect(json(await gs(['loads', 'list', '--json'])).loads).toEqual([]);
  });

  it('stores the load with its plan and says that no server runs yet', async () => {
    const r = await gs([
      'submit',
      '--name',
      'backup',
      ...shellLoad,
      '--command',
      'echo hi',
      '--tag',
      'nightly',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Submitted "backup" as load [0-9a-f-]{36}: waiting$/m);
    expect(r.stdout).toContain('Planned start: Wed 2024-03-27 13:00 (Europe/Berlin)');
    expect(r.stdout).toContain('Expected: 240 g CO2eq for 1 kWh');
    expect(r.stdout).toContain(`Note: no gridshift server runs on ${dataDir}`);
  });

  it('--json gives the API answer: load, plan, created', async () => {
    const out = await submitJson(
      'report',
      '--no-dispatch',
      '--idempotency-key',
      'k1',
      '--objective',
      'carbon',
    );
    expect(out.created).toBe(true);
    expect(out.load).toMatchObject({
      name: 'report',
      state: 'waiting',
      plannedStart: '2024-03-27T12:00:00Z',
    });
    expect(out.load.dispatch).toEqual({ kind: 'none' });
    expect(out.plan.emissionsG).toBeCloseTo(240, 9);
    expect(out.plan.baseline.emissionsG).toBeCloseTo(378, 9);
    expect(out.plan.savings.emissionsG).toBeCloseTo(138, 9);
    const again = await submitJson('report', '--no-dispatch', '--idempotency-key', 'k1');
    expect(again.created).toBe(false);
    expect(again.load.id).toBe(out.load.id);
  });

  it('builds each dispatch target from its flags', async () => {
    const shell = await submitJson(
      's',
      ...['--command', './run.sh', '--cwd', '/srv', '--env', 'MODE=full', '--env', 'API_TOKEN=abc'],
      ...['--timeout', '90m'],
    );
    // the stored target keeps the secret for the dispatcher; what is shown masks it
    expect(shell.load.dispatch).toEqual({
      kind: 'shell',
      command: './run.sh',
      cwd: '/srv',
      env: { MODE: 'full', API_TOKEN: '***' },
      timeoutSec: 5400,
    });
    const hook = await submitJson(
      'w',
      '--webhook',
      'https://example.org/hook',
      '--secret-env',
      'HOOK_SECRET',
    );
    expect(hook.load.dispatch).toEqual({
      kind: 'webhook',
      url: 'https://example.org/hook',
      secretEnv: 'HOOK_SECRET',
    });
    const mqtt = await submitJson('m', '--mqtt-topic', 'home/dishwasher', '--mqtt-url', 'mqtt://broker:1883');
    expect(mqtt.load.dispatch).toEqual({ kind: 'mqtt', topic: 'home/dishwasher', url: 'mqtt://broker:1883' });
  });

  it('a Kubernetes Job from its file: --k8s-job, read at submit, so the load carries the Job to any worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridshift-cli-k8s-'));
    try {
      const jobFile = join(dir, 'train.yaml');
      writeFileSync(
        jobFile,
        'apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n' +
          '      containers:\n        - name: train\n          image: registry.example/train:1\n',
      );
      const kubeconfig = join(dir, 'no-such-kubeconfig');
      const k8s = await submitJson(
        'k',
        ...[
          '--k8s-job',
          jobFile,
          '--k8s-namespace',
          'ml',
          '--kubeconfig',
          kubeconfig,
          '--kube-context',
          'lab',
        ],
        ...['--timeout', '90m'],
      );
      expect(k8s.load.dispatch).toEqual({
        kind: 'kubernetes',
        namespace: 'ml',
        template: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'train', image: 'registry.example/train:1' }],
              },
            },
          },
        },
        kubeconfig,
        context: 'lab',
        timeoutSec: 5400,
      });
      const misplaced = await gs([
        'submit',
        '--name',
        'x',
        ...shellLoad,
        '--no-dispatch',
        '--k8s-namespace',
        'ml',
      ]);
      expect(misplaced.code).toBe(2);
      expect(misplaced.stderr).toContain('--k8s-namespace: applies only with --k8s-job');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a recurring load: --cron and --flex', async () => {
    const out = json(
      await gs([
        'submit',
        '--name',
        'nightly',
        '--zone',
        'DE',
        '--duration',
        '1h',
        '--power',
        '500W',
        '--cron',
        '0 3 * * *',
        '--flex',
        '2h',
        '--no-dispatch',
        '--json',
      ]),
    );
    expect(out.templateId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.load.templateId).toBe(out.templateId);
  });

  it('bad input exits 2 with one line naming the flag', async () => {
    const de = ['--zone', 'DE', '--duration', '1h', '--power', '1kW'];
    const cases: [string[], RegExp][] = [
      [de, /say what runs the load: --command/],
      [
        ['--zone', 'Atlantis', '--duration', '1h', '--power', '1kW', '--no-dispatch'],
        /^error: --zone: .*Atlantis/,
      ],
      [
        ['--region', 'mars-north-1', '--zone', 'DE', '--duration', '1h', '--power', '1kW', '--no-dispatch'],
        /^error: --region: .*mars-north-1/,
      ],
      [
        [...de, '--energy', '1kWh', '--no-dispatch'],
        /^error: --energy \(energyKwh\): give two of --duration, --power and --energy, not all three/,
      ],
      [
        ['--zone', 'DE', '--duration', 'soon', '--power', '1kW', '--no-dispatch'],
        /^error: --duration: cannot read "soon"/,
      ],
      [[...de, '--command', 'x', '--env', 'NOEQUALS'], /--env: "NOEQUALS" is not NAME=VALUE/],
      [[...de, '--webhook', 'ftp://x'], /^error: --webhook \(dispatch\.url\): /],
      [[...de, '--no-dispatch', '--priority', '5000'], /^error: --priority: Too big/],
      [[...de, '--no-dispatch', '--cwd', '/x'], /--cwd: applies only with --command/],
      [
        ['--zone', 'DE', '--duration', '2h', '--power', '1kW', '--no-dispatch', '--deadline', '+1h'],
        /^error: --deadline: a 2h run starting at .* cannot finish/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await gs(['submit', '--name', 'bad', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('gridshift loads (embedded store)', () => {
  it('lists, filters, shows the timeline, and acts', async () => {
    const list = await gs(['loads', '--tag', 'nightly']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+STATE\s+ZONE\s+PLANNED START/m);
    expect(list.stdout).toMatch(/backup\s+waiting\s+DE\s+Wed 2024-03-27 12:00/);
    const page = json(await gs(['jobs', 'list', '--state', 'waiting', '--limit', '2', '--json']));
    expect(page.loads).toHaveLength(2);
    expect(page.nextCursor).toBeTruthy();
    const next = json(
      await gs([
        'loads',
        'list',
        '--state',
        'waiting',
        '--limit',
        '2',
        '--cursor',
        page.nextCursor,
        '--json',
      ]),
    );
    expect(next.loads.map((l: { id: string }) => l.id)).not.toContain(page.loads[0].id);

    const [backup] = json(await gs(['loads', 'list', '--tag', 'nightly', '--json'])).loads;
    const show = await gs(['loads', 'show', backup.id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`Load ${backup.id}: backup`);
    expect(show.stdout).toContain('Dispatch:  shell: echo hi');
    expect(show.stdout).toMatch(/^ {2}Wed 2024-03-27 07:00\s+planned$/m);
    expect(show.stdout).toMatch(/planned -> waiting\s+due Wed 2024-03-27 13:00$/m);
    expect(show.stdout).toContain('Accounting: not yet');

    const runNow = await gs(['loads', 'run-now', backup.id]);
    expect(runNow.code, runNow.stderr).toBe(0);
    // the scheduler's clock is the command's (06:00): the load is due at once
    expect(runNow.stdout).toBe(`Load ${backup.id} ("backup"): waiting, due now\n`);
    const cancel = await gs(['loads', 'cancel', backup.id, '--reason', 'not today']);
    expect(cancel.stdout).toBe(`Load ${backup.id} ("backup"): cancelled\n`);
    const again = await gs(['loads', 'cancel', backup.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: cannot cancel load .*: it is already cancelled/);
    const retry = await gs(['loads', 'retry', backup.id]);
    expect(retry.code).toBe(2);
    const events = json(await gs(['loads', 'show', backup.id, '--json'])).events;
    expect(events.map((e: { to: string }) => e.to)).toEqual(['planned', 'waiting', 'cancelled']);
    expect(events[2].detail).toMatchObject({ reason: 'not today' });
    expect((await gs(['loads', 'show', backup.id])).stdout).toMatch(
      /^Accounting: none \(the load is cancelled; only loads that succeed are accounted\)$/m,
    );
    // watching a load that has ended without succeeding: its timeline, then exit 5
    const watched = await gs(['loads', 'show', backup.id, '--watch']);
    expect(watched.code).toBe(5);
    expect(watched.stderr).toBe(`error: load ${backup.id} ended cancelled\n`);
    expect(watched.stdout).toMatch(/^ {2}.* {2}waiting -> cancelled {7}not today$/m);
    expect((await gs(['loads', 'show', backup.id, '--watch', '--interval', '0.05s'])).stderr).toBe(
      'error: --interval: at least 0.1s, e.g. 2s\n',
    );
    // a dozen CLI processes in a row: give them time on a busy machine
  }, 60_000);

  it('an unknown load exits 2', async () => {
    const r = await gs(['loads', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: load 00000000-0000-4000-8000-000000000000 not found\n');
    const bad = await gs(['loads', 'list', '--state', 'sleeping']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state: "sleeping" is not a load state/);
  });

  it('purge deletes finished loads older than the cutoff', async () => {
    // the store stamps state changes with the real clock: two days from now, the cancelled load is a day old
    const inTwoDays = Date.now() + 2 * 86_400_000;
    const out = json(await gs(['loads', 'purge', '--older-than', '1d', '--json'], {}, inTwoDays));
    expect(out.purged).toBe(1);
    const text = await gs(['loads', 'purge', '--older-than', '1d'], {}, inTwoDays);
    expect(text.stdout).toMatch(/^Purged 0 finished loads last changed more than 1d ago/);
    expect(json(await gs(['loads', 'list', '--state', 'cancelled', '--json'])).loads).toEqual([]);
  });
});

describe('gridshift status, pause, resume, report (embedded store)', () => {
  it('status says no server runs, and counts loads by state', async () => {
    const waiting = json(await gs(['loads', 'list', '--state', 'waiting', '--json'])).loads.length;
    expect(waiting).toBeGreaterThanOrEqual(5);
    const r = await gs(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Scheduler: not running \(no `gridshift serve` on this store/m);
    expect(r.stdout).toContain(`Store:     the embedded store in ${dataDir}\n`);
    expect(r.stdout).toContain('Served by: no server: this command reads the store directly');
    expect(r.stdout).toMatch(new RegExp(`^waiting\\s+${waiting}$`, 'm'));
    expect(r.stdout).toMatch(/^cancelled\s+0$/m);
    // no process plans while no server runs
    expect(r.stdout).toMatch(/^Planner: {3}last run .*, next run once `gridshift serve` runs \(/m);
    const s = json(await gs(['status', '--json']));
    expect(s.loads.waiting).toBe(waiting);
    expect(s.servedBy).toEqual({
      kind: 'embedded',
      where: `the embedded store in ${dataDir}`,
      store: `the embedded store in ${dataDir}`,
    });
  });

  it('pause and resume', async () => {
    const p = await gs(['pause', '--reason', 'grid maintenance']);
    expect(p.stdout).toMatch(/^Scheduler paused \(grid maintenance\)/);
    expect(json(await gs(['status', '--json'])).pausedReason).toBe('grid maintenance');
    expect((await gs(['status'])).stdout).toMatch(
      /^Scheduler: not running .*; paused since .* \(grid maintenance\)/m,
    );
    const r = await gs(['resume']);
    expect(r.stdout).toMatch(/^Scheduler running again; \d+ waiting loads/);
    expect(json(await gs(['status', '--json'])).paused).toBe(false);
  });

  it('report: nothing ran yet; bad --group-by exits 2', async () => {
    const r = json(await gs(['report', '--group-by', 'tag', '--json']));
    expect(r.totals.loads).toBe(0);
    expect((await gs(['report'])).stdout).toContain('No load ran in this period.');
    const period = await gs([
      'report',
      '--from',
      '2024-03-27',
      '--to',
      '2024-03-28',
      '--tz',
      'Europe/Berlin',
    ]);
    expect(period.stdout.split('\n')[0]).toBe(
      'Loads that ran from Wed 2024-03-27 00:00 to Thu 2024-03-28 00:00, against running each at once ' +
        '(times, days and weeks in Europe/Berlin):',
    );
    expect(
      json(await gs(['report', '--from', '2024-03-27', '--tz', 'Europe/Berlin', '--json'])).query.from,
    ).toBe('2024-03-26T23:00:00Z');
    const bad = await gs(['report', '--group-by', 'year']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--group-by: "year" is not one of day, week, month, tag, zone, none/);
  });
});

describe('gridshift token (embedded store, no server)', () => {
  it('create prints the secret once; list shows live tokens; revoke ends one', async () => {
    const created = await gs(['token', 'create', '--name', 'ci', '--scope', 'read,write']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /^ {2}(gs_\S+)$/m.exec(created.stdout)?.[1];
    expect(secret).toBeTruthy();
    expect(created.stdout).toMatch(/^Created token [0-9a-f-]{36} "ci" with scope read, write\.$/m);
    // no server runs here: commands on this machine need no token, HTTP clients do
    expect(created.stdout).toContain(
      `Use it: curl -H "Authorization: Bearer ${secret}" http://127.0.0.1:8080/v1/scheduler\n`,
    );
    expect(created.stdout).toContain('gridshift commands on this machine need no token;');
    expect(created.stdout).not.toContain('export GRIDSHIFT_TOKEN');
    const { tokens } = json(await gs(['token', 'list', '--json']));
    const ci = tokens.find((t: { name: string }) => t.name === 'ci');
    expect(ci.scopes).toEqual(['read', 'write']);
    expect(JSON.stringify(tokens)).not.toContain(secret as string);
    expect((await gs(['token', 'revoke', ci.id])).code).toBe(0);
    expect(json(await gs(['token', 'list', '--json'])).tokens.map((t: { id: string }) => t.id)).not.toContain(
      ci.id,
    );
    expect(
      json(await gs(['token', 'list', '--all', '--json'])).tokens.map((t: { id: string }) => t.id),
    ).toContain(ci.id);
    const twice = await gs(['token', 'revoke', ci.id]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/not found/);
    const badScope = await gs(['token', 'create', '--name', 'x', '--scope', 'root']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/--scope: "root" is not one of read, write, admin/);
  });
});

describe('gridshift audit (embedded store)', () => {
  it('verify: intact; export: JSON lines that verify on their own; a changed entry is named (exit 4)', async () => {
    const ok = await gs(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^The decision log is intact: \d+ entries, the last with hash [0-9a-f]{64}\.\n$/,
    );
    const count = Number(/intact: (\d+) entries/.exec(ok.stdout)?.[1]);

    const file = `${dataDir}/audit.jsonl`;
    const exported = await gs(['audit', 'export', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toBe(
      `wrote ${count} entries to ${file}; check it with: gridshift audit verify ${file}\n`,
    );
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(count);
    expect(JSON.parse(lines[0])).toMatchObject({ seq: 1, kind: 'plan' });
    const toStdout = await gs(['audit', 'export']);
    expect(toStdout.stdout.trim().split('\n')).toEqual(lines);
    expect((await gs(['audit', 'verify', file])).code).toBe(0);

    // someone edits the reason of entry 2 in the file
    const edited = lines.map((l, i) =>
      i === 1 ? l.replace(/"reason":"[^"]*"/, '"reason":"nothing to see"') : l,
    );
    writeFileSync(file, `${edited.join('\n')}\n`);
    const broken = await gs(['audit', 'verify', file]);
    expect(broken.code).toBe(4);
    expect(broken.stderr).toMatch(
      /is broken at entry 2: content does not match its hash \(the 1 entries before it are intact\)/,
    );

    // and in the database
    const store = await openStore({ dataDir });
    try {
      await store.query(`UPDATE ${store.schema}.decisions SET reason = 'rewritten' WHERE seq = 3`);
    } finally {
      await store.close();
    }
    const live = await gs(['audit', 'verify', '--json']);
    expect(live.code).toBe(4);
    expect(JSON.parse(live.stdout)).toMatchObject({ ok: false, brokenSeq: 3, count: 2 });
    expect(live.stderr).toMatch(/^error: the decision log is broken at entry 3/);
  });
});

describe('the embedded store serves one process', () => {
  it('a process holding it without a server: commands say so (exit 2)', async () => {
    const holder = await openStore({ dataDir });
    try {
      const r = await gs(['loads']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: the embedded store in ${dataDir} is in use by process ${process.pid}, which serves no API this ` +
          'command could use (no server.json): if it is `gridshift serve` starting, try again in a moment; ' +
          'otherwise wait for it to finish, or point this command at a server with --server URL\n',
      );
      // an export that cannot be made leaves an earlier file of that name as it was
      const earlier = `${dataDir}/earlier.jsonl`;
      writeFileSync(earlier, '{"seq":1}\n');
      const exported = await gs(['audit', 'export', '--out', earlier]);
      expect(exported.code).toBe(2);
      expect(exported.stderr).toMatch(/is in use by process/);
      expect(readFileSync(earlier, 'utf8')).toBe('{"seq":1}\n');
      expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await holder.close();
    }
  });

  it('a server.json whose server does not answer: commands name it', async () => {
    const gone = await startServer(() => {});
    await gone.close();
    writeFileSync(
      `${dataDir}/server.json`,
      JSON.stringify({ url: gone.url, pid: process.pid, token: 'gs_x' }),
    );
    try {
      const r = await gs(['status']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: cannot reach the gridshift server at ${gone.url}: connection refused (it is listed in server.json ` +
          'but does not answer; is it still starting, or stuck?)\n',
      );
    } finally {
      writeFileSync(`${dataDir}/server.json`, '');
    }
    // an unreadable file is ignored: the store is used directly
    expect((await gs(['status'])).code).toBe(0);
  });

  it('gridshift worker refuses the embedded store', async () => {
    const r = await gs(['worker']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: gridshift worker needs PostgreSQL: set DATABASE_URL=postgres:\/\//);
    expect(r.stderr).toMatch(/The embedded store serves one process/);
    // --data-dir names the embedded store: the same explanation, not "unknown option"
    const withDir = await gs(['worker', '--data-dir', dataDir]);
    expect(withDir.code).toBe(2);
    expect(withDir.stderr).toMatch(
      /^error: --data-dir: gridshift worker needs PostgreSQL: set DATABASE_URL=/,
    );
    const withBoth = await gs(['worker', '--data-dir', dataDir], {
      DATABASE_URL: 'postgres://127.0.0.1:9/x',
    });
    expect(withBoth.code).toBe(2);
    expect(withBoth.stderr).toMatch(/^error: --data-dir: gridshift worker needs PostgreSQL/);
  });

  it('gridshift serve refuses a data directory another live server holds', async () => {
    // a live process other than this one (serve runs in this process here)
    writeFileSync(`${dataDir}/server.json`, JSON.stringify({ url: 'http://127.0.0.1:9', pid: process.ppid }));
    try {
      const r = await gs(['serve', '--port', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: a gridshift server (process ${process.ppid}) already serves ${dataDir} at http://127.0.0.1:9; ` +
          'the embedded store serves one process (use --data-dir for another, or DATABASE_URL to share PostgreSQL)\n',
      );
    } finally {
      writeFileSync(`${dataDir}/server.json`, '');
    }
  });

  it('gridshift serve takes a server.json naming its own process id as left by an earlier run', async () => {
    writeFileSync(`${dataDir}/server.json`, JSON.stringify({ url: 'http://127.0.0.1:9', pid: process.pid }));
    // the store is held, so serve stops there: past the server.json check, at the store's own lock
    const holder = await openStore({ dataDir });
    try {
      const r = await gs(['serve', '--port', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: data directory .* is in use by process \d+;/);
    } finally {
      await holder.close();
      writeFileSync(`${dataDir}/server.json`, '');
    }
  });
});
