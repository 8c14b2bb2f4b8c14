/** `gridshift home optimize` run in-process like the other CLI tests: output, --out, exit codes 2 and 3. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';

const DIR = mkdtempSync(join(tmpdir(), 'gridshift-home-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    cwd: DIR,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
  });
  return { code, stdout, stderr };
}

function scenarioFile(name: string, json: unknown): string {
  const path = join(DIR, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

const battery = {
  socInitKwh: 0,
  socMinKwh: 0,
  socMaxKwh: 10,
  maxChargeKw: 5,
  maxDischargeKw: 5,
  chargeEfficiency: 0.9,
  dischargeEfficiency: 0.9,
};
// the 4-slot case of test/optimize/home.test.ts: optimum 2 + 0.1 * (2 + 2 / 0.81) + 0.2, baseline 4.4
const arbitrage = {
  start: '2026-01-01T00:00:00Z',
  stepMin: 60,
  slots: 4,
  series: { loadKw: [2, 2, 2, 2], importPrice: [1, 0.1, 1, 0.1] },
  battery,
};
const OPTIMUM = 2 + 0.1 * (2 + 2 / 0.81) + 0.2;

describe('gridshift home optimize', () => {
  it('plans the worked example of docs/home.md exactly as the page shows', async () => {
    const example = fileURLToPath(new URL('../../docs/home-scenario.json', import.meta.url));
    const r = await run(['home', 'optimize', '--scenario', example, '--tz', 'UTC']);
    expect(r.code).toBe(0);
    const page = readFileSync(fileURLToPath(new URL('../../docs/home.md', import.meta.url)), 'utf8');
    const command = '$ gridshift home optimize --scenario docs/home-scenario.json --tz UTC\n';
    const shown = page.slice(page.indexOf(command) + command.length);
    expect(r.stdout).toBe(shown.slice(0, shown.indexOf('```')));
  });

  it('--json prints the contract result; --out writes the same', async () => {
    const out = join(DIR, 'plan.json');
    const r = await run([
      'home',
      'optimize',
      '--scenario',
      scenarioFile('a.json', arbitrage),
      '--json',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        'status',
        'objective',
        'objectiveValue',
        'totals',
        'baseline',
        'savings',
        'slots',
        'elapsedMs',
      ]),
    );
    expect(result.status).toBe('optimal');
    expect(result.objective).toBe('cost');
    expect(result.objectiveValue).toBeCloseTo(OPTIMUM, 9);
    expect(result.baseline.cost).toBeCloseTo(4.4, 9);
    expect(result.savings.cost).toBeCloseTo(4.4 - OPTIMUM, 9);
    expect(result.slots).toHaveLength(4);
    expect(Object.keys(result.slots[0]).sort()).toEqual(
      [
        'chargeKw',
        'curtailKw',
        'deferrable',
        'dischargeKw',
        'evKw',
        'exportKw',
        'importKw',
        'socKwh',
        'start',
      ].sort(),
    );
    expect(result.slots[1].start).toBe('2026-01-01T01:00:00Z');
    expect(typeof result.elapsedMs).toBe('number');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
  });

  it('prints totals, savings, the chart and the table per hour', async () => {
    const r = await run(['home', 'optimize', '--scenario', scenarioFile('a.json', arbitrage), '--tz', 'UTC']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('objective cost, optimal');
    expect(r.stdout).toContain('Cost 2.65 against 4.4 without planning: saves 1.75 (39.8%)');
    expect(r.stdout).toMatch(/^SoC {5}\S+ {2}0 \.\. 2\.22 kWh$/m);
    expect(r.stdout).toMatch(/^Thu 01:00 +2\.22 +4\.47 +0\.00 +0\.1000$/m);
  });

  it('exits 2 naming the field, and writes nothing to --out', async () => {
    const out = join(DIR, 'bad.json');
    const bad = { ...arbitrage, battery: { ...battery, socInitKwh: 12, socMaxKwh: 9.5 } };
    const r = await run(['home', 'optimize', '--scenario', scenarioFile('b.json', bad), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: battery.socInitKwh 12 is above battery.socMaxKwh 9.5\n');
    expect(existsSync(out)).toBe(false);
    const short = { ...arbitrage, series: { ...arbitrage.series, loadKw: [1, 2] } };
    expect((await run(['home', 'optimize', '--scenario', scenarioFile('c.json', short)])).stderr).toBe(
      'error: series.loadKw has 2 values, but slots is 4: one value per slot\n',
    );
    const notJson = await run(['home', 'optimize', '--scenario', scenarioFile('d.json', '{ "start": ')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^error: --scenario .*d\.json: not valid JSON/);
    const missing = await run(['home', 'optimize', '--scenario', join(DIR, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read it \(ENOENT\)/);
  });

  const ev = {
    ...arbitrage,
    // plugged in for slots 1-3 at 7 kW x 0.9: at most 18.9 kWh of the 25
    ev: {
      arrive: '2026-01-01T01:00:00Z',
      depart: '2026-01-01T04:00:00Z',
      energyNeededKwh: 25,
      maxChargeKw: 7,
      efficiency: 0.9,
    },
  };

  it('exits 3 naming the constraint that cannot be met, and writes nothing to --out', async () => {
    const out = join(DIR, 'infeasible.json');
    const r = await run([
      'home',
      'optimize',
      '--scenario',
      scenarioFile('e.json', ev),
      '--out',
      out,
      '--json',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: ev.energyNeededKwh 25 cannot be delivered between ev.arrive and ev.depart: 3 slots at ev.maxChargeKw x ev.efficiency give at most 18.9 kWh\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--soft reports the shortfall instead of failing', async () => {
    const r = await run([
      'home',
      'optimize',
      '--scenario',
      scenarioFile('e.json', ev),
      '--soft',
      '--tz',
      'UTC',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Shortfall: the EV gets 6.1 kWh less than ev.energyNeededKwh');
    expect(r.stdout).toContain('The battery ends at or above battery.socFinalMinKwh');
    const json = JSON.parse(
      (await run(['home', 'optimize', '--scenario', join(DIR, 'e.json'), '--soft', '--json'])).stdout,
    );
    expect(json.shortfalls.evKwh).toBeCloseTo(6.1, 9);
    expect(json.slots.map((s: { evKw: number }) => s.evKw)).toEqual([0, 7, 7, 7]);
  });
});
