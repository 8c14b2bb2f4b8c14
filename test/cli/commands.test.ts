import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));
/** A directory with no gridshift.config.*: the offline defaults apply. */
const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'gridshift-cli-'));
afterAll(() => rmSync(EMPTY_DIR, { recursive: true, force: true }));
const NOW = Date.parse('2024-03-27T06:00:00Z');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], options: { cwd?: string; nowMs?: number } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    cwd: options.cwd ?? EMPTY_DIR,
    now: () => options.nowMs ?? NOW,
  });
  return { code, stdout, stderr };
}

/** With the fixture config: CSV series for DE (carbon, price) and FR, 2024-03-27..29. */
const withFixtures = (args: string[]) => run(args, { cwd: FIXTURES });

describe('gridshift (program)', () => {
  it('--help and --version exit 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['zones', 'estimate', 'plan', 'signals', 'simulate'])
      expect(help.stdout).toContain(cmd);
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('unknown options and commands exit 2', async () => {
    const r = await run(['plan', '--zone', 'DE', '--powr', '1kW']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--powr'");
    expect((await run(['teleport'])).code).toBe(2);
  });
});

describe('gridshift zones', () => {
  it('lists zones with their time zones', async () => {
    const r = await run(['zones']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^DE\s+Germany\s+Europe\/Berlin/m);
    expect(r.stdout).toMatch(/^GB\s+Great Britain\s+Europe\/London\s+UK/m);
  });

  it('lists cloud regions and searches', async () => {
    const r = await run(['zones', '--cloud', '--search', 'eu-west-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/aws\s+eu-west-1\s+Ireland\s+IE/);
    expect(r.stdout).not.toContain('eu-west-2');
    const none = await run(['zones', '--search', 'atlantis']);
    expect(none.stdout).toContain('no entry matches "atlantis"');
  });

  it('--json gives the registry entries', async () => {
    const r = await run(['--json', 'zones', '--search', 'germany']);
    const data = JSON.parse(r.stdout);
    expect(data.zones).toEqual([
      expect.objectContaining({ code: 'DE', timeZone: 'Europe/Berlin', aliases: [] }),
    ]);
    const cloud = JSON.parse((await run(['zones', '--cloud', '--json'])).stdout);
    expect(cloud.cloudRegions).toContainEqual(
      expect.objectContaining({ region: 'eu-central-1', zone: 'DE' }),
    );
  });
});

describe('gridshift estimate', () => {
  it('backup: duration and energy', async () => {
    const r = await run(['estimate', '--data-gb', '500', '--throughput-mbps', '100', '--power-w', '300']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/duration\s+1h 23m/);
    expect(r.stdout).toMatch(/energy\s+417 Wh/);
  });

  it('training as JSON', async () => {
    const r = await run([
      'estimate',
      '--gpus',
      '8',
      '--gpu-power-w',
      '400',
      '--hours',
      '24',
      '--pue',
      '1.2',
      '--json',
    ]);
    const data = JSON.parse(r.stdout);
    expect(data).toMatchObject({ kind: 'training', durationMin: 1440 });
    expect(data.energyKwh).toBeCloseTo(92.16, 9);
  });

  it('device with --zone: emissions at the current intensity and equivalents', async () => {
    // at 06:00Z the DE fixture reads 378 g/kWh; 2 kW for 90 min = 3 kWh -> 1134 g
    const r = await withFixtures([
      'estimate',
      '--power-kw',
      '2',
      '--duration',
      '90m',
      '--zone',
      'DE',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.energyKwh).toBe(3);
    expect(data.carbonGPerKwh).toBe(378);
    expect(data.emissionsG).toBeCloseTo(1134, 9);
    expect(data.equivalents.phoneCharges).toBeCloseTo(1134 / 8.22, 6);
    expect(data.source).toBe('csv');
  });

  it('offline --zone uses the built-in profile and says so', async () => {
    const r = await run(['estimate', '--power-kw', '1', '--duration', '1h', '--zone', 'eu-central-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/zone\s+DE \(Germany\), now \d+ g\/kWh from profile/);
    expect(r.stdout).toMatch(/emissions\s+\d+(\.\d+)? g CO2eq/);
    expect(r.stdout).toContain('note:');
  });

  it('--zone without a value now: emissions unknown (open policy) or exit 3 (closed policy)', async () => {
    const later = Date.parse('2025-01-01T00:00:00Z');
    const open = await run(['estimate', '--power-kw', '1', '--duration', '1h', '--zone', 'DE', '--json'], {
      cwd: FIXTURES,
      nowMs: later,
    });
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ energyKwh: 1, carbonGPerKwh: null, emissionsG: null });
    const closed = await run(
      [
        '--config',
        join(FIXTURES, 'closed/gridshift.config.json'),
        'estimate',
        '--power-kw',
        '1',
        '--duration',
        '1h',
        '--zone',
        'DE',
      ],
      { nowMs: later },
    );
    expect(closed.code).toBe(3);
    expect(closed.stderr).toMatch(/^error: no carbon signal for DE/);
  });

  it('bad or mixed workload flags exit 2 with a clear message', async () => {
    const none = await run(['estimate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: estimate: describe a workload/);
    const missing = await run(['estimate', '--data-gb', '10']);
    expect(missing.stderr).toContain('needs --throughput-mbps, --power-w');
    const mixed = await run(['estimate', '--gpus', '2', '--power-kw', '1']);
    expect(mixed.stderr).toContain('flags of different workloads');
    const pue = await run([
      'estimate',
      '--gpus',
      '2',
      '--gpu-power-w',
      '300',
      '--hours',
      '1',
      '--pue',
      '0.5',
    ]);
    expect(pue.code).toBe(2);
    expect(pue.stderr).toContain('--pue');
  });
});

describe('gridshift plan', () => {
  it('plans on the fixture series: the hand-computed window, baseline and savings', async () => {
    const r = await withFixtures([
      'plan',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1.5kW',
      '--deadline',
      '+12h',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    // cleanest 2 h before 18:00Z: 11:00-13:00Z at 256 and 240 g/kWh -> 1.5 x (256 + 240) = 744 g
    expect(plan.runs).toEqual([{ start: '2024-03-27T11:00:00Z', end: '2024-03-27T13:00:00Z' }]);
    expect(plan.emissionsG).toBeCloseTo(744, 9);
    // run now: 06:00-08:00Z at 378 and 374 -> 1128 g
    expect(plan.baseline.emissionsG).toBeCloseTo(1128, 9);
    expect(plan.savings.emissionsG).toBeCloseTo(384, 9);
    expect(plan.savings.emissionsPct).toBeCloseTo((100 * 384) / 1128, 9);
    expect(plan.energyKwh).toBe(3);
    expect(plan.currency).toBe('EUR');
  });

  it('prints the explanation, a sparkline with the window marked, and the equivalents', async () => {
    const r = await withFixtures([
      'plan',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1.5kW',
      '--deadline',
      '+12h',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Run the load in DE Wed 27 Mar 12:00–14:00 (Europe/Berlin)');
    const carbon = lines.find((l) => l.startsWith('carbon  '))!;
    const marks = lines[lines.indexOf(carbon) + 2];
    // 24 half-hour slots from 06:00Z; the chosen four start at slot 10
    expect(marks).toBe(`${' '.repeat(8)}${' '.repeat(10)}^^^^`);
    expect(r.stdout).toContain('Saves: 384');
    expect(r.stdout).toMatch(/That is about [\d.]+ km not driven/);
  });

  it('offline, no config: a real answer from the built-in profile', async () => {
    const r = await run([
      'plan',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1.5kW',
      '--deadline',
      '+12h',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.zone).toBe('DE');
    expect(plan.energyKwh).toBe(3);
    expect(plan.emissionsG).toBeGreaterThan(0);
    // lowest carbon: never worse than running now
    expect(plan.emissionsG).toBeLessThanOrEqual(plan.baseline.emissionsG);
    expect(plan.savings.emissionsG).toBeCloseTo(plan.baseline.emissionsG - plan.emissionsG, 6);
    const start = Date.parse(plan.runs[0].start);
    const end = Date.parse(plan.runs.at(-1).end);
    expect(start).toBeGreaterThanOrEqual(NOW);
    expect(end).toBeLessThanOrEqual(NOW + 12 * 3_600_000);
    expect(end - start).toBe(2 * 3_600_000);
    expect(plan.sources.carbon).toBe('profile');
    expect(plan.degraded.join(' ')).toContain('profile');
  });

  it('cloud regions, several zones, energy instead of power, interruptible cost plans', async () => {
    const r = await withFixtures([
      'plan',
      '--region',
      'eu-central-1',
      '--zone',
      'FR',
      '--duration',
      '3h',
      '--energy',
      '6kWh',
      '--objective',
      'cost',
      '--interruptible',
      '--max-pieces',
      '2',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.objective).toBe('cost');
    expect(plan.energyKwh).toBe(6);
    expect(plan.runs.length).toBeLessThanOrEqual(2);
    expect(plan.cost).toBeLessThanOrEqual(plan.baseline.cost);
    // the first candidate on the command line, zone or region, is the home zone of the baseline
    expect(plan.baseline.zone).toBe('DE');
    const swapped = await withFixtures([
      'plan',
      '--zone',
      'FR',
      '--region',
      'eu-central-1',
      '--duration',
      '1h',
      '--power',
      '1kW',
      '--json',
    ]);
    expect(JSON.parse(swapped.stdout).baseline.zone).toBe('FR');
  });

  it('an impossible deadline exits 2 and says what would work', async () => {
    const r = await withFixtures([
      'plan',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1kW',
      '--deadline',
      '+1h',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error: --deadline: a 2h run starting at Wed 2024-03-27 07:00 cannot finish by Wed 2024-03-27 08:00 \(Europe\/Berlin\); set the deadline to Wed 2024-03-27 09:00 or later/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const before = await withFixtures([
      'plan',
      '--zone',
      'DE',
      '--duration',
      '2h',
      '--power',
      '1kW',
      '--deadline',
      '2h ago',
    ]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('is not after the earliest start');
  });

  it('other bad input exits 2 naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--zone', 'Atlantis', '--duration', '1h', '--power', '1kW'],
        /unknown zone or cloud region "Atlantis"/,
      ],
      [['--zone', 'DE', '--duration', '1h'], /two of --duration, --power and --energy/],
      [['--zone', 'DE', '--duration', 'soon', '--power', '1kW'], /--duration: cannot read "soon"/],
      [
        ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--deadline', 'whenever'],
        /--deadline: cannot read "whenever"/,
      ],
      [
        ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--objective', 'greenest'],
        /--objective: objective "greenest"/,
      ],
      [
        ['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--min-piece', '30m'],
        /only with --interruptible/,
      ],
      [['--zone', 'DE', '--duration', '1h', '--power', '1kW', '--tz', 'Mars/Base'], /--tz: "Mars\/Base"/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['plan', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('no signal under a closed failure policy exits 3', async () => {
    // the fixture series cover March 2024 only
    const r = await run(
      [
        '--config',
        join(FIXTURES, 'closed/gridshift.config.json'),
        'plan',
        '--zone',
        'DE',
        '--duration',
        '1h',
        '--power',
        '1kW',
      ],
      { nowMs: Date.parse('2025-01-01T00:00:00Z') },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: no carbon signal for DE.*failure policy is closed/);
  });
});

describe('gridshift signals', () => {
  it('current values, verdict, sources and a forecast table from the fixtures', async () => {
    const r = await withFixtures(['signals', '--zone', 'DE', '--hours', '3', '--json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.carbon).toMatchObject({ current: 378, level: 'poor', source: 'csv', degraded: false });
    // 378 is above the mean of the next slots (378, 374, 361): not clean now
    expect(data.carbon.cleanNow).toBe(false);
    expect(data.price).toMatchObject({ current: 0.0811, unit: 'EUR/kWh' });
    expect(data.forecast.map((f: { start: string }) => f.start)).toEqual([
      '2024-03-27T06:00:00Z',
      '2024-03-27T07:00:00Z',
      '2024-03-27T08:00:00Z',
    ]);
    expect(data.forecast[2]).toMatchObject({ carbonGPerKwh: 361, level: 'poor', price: 0.0894 });
  });

  it('offline: the profile, flagged degraded, as a table', async () => {
    const r = await run(['signals', '--zone', 'GB', '--hours', '6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/carbon now\s+\d+ g\/kWh/);
    expect(r.stdout).toMatch(/clean now\?\s+(yes|no): /);
    expect(r.stdout).toMatch(/carbon from\s+profile.*\(degraded\)/);
    expect(r.stdout).toMatch(/^TIME\s+CARBON\s+QUALITY\s+PRICE/m);
    const rows = r.stdout.split('\n').filter((l) => /^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d/.test(l));
    expect(rows).toHaveLength(6);
  });

  it('--metric price shows prices only; bad metric exits 2', async () => {
    const r = await withFixtures(['signals', '--zone', 'DE', '--hours', '2', '--metric', 'price']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('carbon now');
    expect(r.stdout).toMatch(/price now\s+0\.0811 EUR\/kWh/);
    const bad = await run(['signals', '--zone', 'DE', '--metric', 'wind']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--metric: "wind"');
  });
});
