import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCli } from '../../src/cli/context.ts';
import { exitCodeFor } from '../../src/cli/errors.ts';
import { simulateCommand } from '../../src/cli/simulate.ts';
import type { SimulationResult } from '../../src/simulate/engine.ts';
import { simulate } from '../../src/simulate/simulate.ts';

const fixtures = fileURLToPath(new URL('../fixtures/simulate/', import.meta.url));
const fx = (name: string) => join(fixtures, name);

/** Runs `gridshift simulate ...args` in-process, as the real program does (a global --json included). */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: process.cwd(),
    now: () => 0,
  };
  const program = new Command('gridshift')
    .option('--json')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  const sub = simulateCommand(createCli(io)).exitOverride();
  sub.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  program.addCommand(sub);
  try {
    await program.parseAsync(['simulate', ...args], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    // as runCli does: commander has printed its own message; other errors are printed here
    if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : 2, stdout, stderr };
    stderr += `error: ${(err as Error).message}\n`;
    return { code: exitCodeFor(err), stdout, stderr };
  }
}

const baseArgs = ['--carbon', `DE=${fx('de.csv')}`, '--workload', fx('workload.jsonl'), '--step', '60'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gridshift-simulate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gridshift simulate', () => {
  it('prints the result JSON with --json (hand-computed: optimal saves 730 of 1100 g)', async () => {
    const r = await run([...baseArgs, '--policy', 'optimal', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as SimulationResult;
    expect(result.totals).toEqual({
      loads: 2,
      energyKwh: 6,
      emissionsG: 370,
      baselineEmissionsG: 1100,
      savingsPct: (100 * 730) / 1100,
    });
    expect(result.loads[1].runs).toEqual([
      { start: '2024-01-01T03:00:00Z', end: '2024-01-01T04:00:00Z' },
      { start: '2024-01-01T05:00:00Z', end: '2024-01-01T06:00:00Z' },
    ]);
  });

  it('adds cost with --prices and optimises it with --objective cost', async () => {
    const r = await run([
      ...baseArgs,
      '--prices',
      `DE=${fx('prices.csv')}`,
      '--objective',
      'cost',
      '--policy',
      'cheapest-slots',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as SimulationResult;
    expect(result.objective).toBe('cost');
    // A: 02:00-04:00 at 0.1 x 2 kW x 2 h = 0.4 (baseline 1.2); B: slots 2, 3 at 0.1 = 0.2 (baseline 0.4)
    expect(result.totals.cost).toBeCloseTo(0.6, 12);
    expect(result.totals.baselineCost).toBeCloseTo(1.6, 12);
    expect(result.totals.costSavingsPct).toBeCloseTo(62.5, 9);
  });

  it('prints a summary table without --json', async () => {
    const r = await run([...baseArgs, '--policy', 'threshold']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '2 loads, 6 kWh · policy threshold · forecast perfect · objective carbon · 60-min slots',
    );
    expect(r.stdout).toMatch(/emissions\s+1\.1 kg\s+800 g\s+27\.3%/);
    expect(r.stdout).toMatch(/DE\s+2\s+6 kWh\s+1\.1 kg\s+800 g\s+27\.3%\s+0/);
  });

  it('writes --out through a temporary file and also prints the table', async () => {
    const out = join(dir, 'result.json');
    const r = await run([...baseArgs, '--policy', 'rolling-min', '--out', out]);
    expect(r.code).toBe(0);
    const saved = JSON.parse(await readFile(out, 'utf8')) as SimulationResult;
    expect(saved.totals.emissionsG).toBe(390);
    expect(r.stdout).toContain('policy rolling-min');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('resamples an irregular series onto the step (time-weighted mean)', async () => {
    const args = [
      '--carbon',
      `GB=${fx('gb-irregular.csv')}`,
      '--workload',
      fx('gb-workload.jsonl'),
      '--policy',
      'run-now',
      '--json',
    ];
    // 30 min: slots 100, 200, (300+500)/2, (100+300)/2; g1 runs 00:00 (0.5 kWh), g2 01:00-02:00 (2 slots)
    const r30 = JSON.parse((await run([...args, '--step', '30'])).stdout) as SimulationResult;
    expect(r30.loads.map((l) => l.emissionsG)).toEqual([50, 0.5 * (400 + 200)]);
    // 60 min: slots 150 and 300; g1 (30 min) gets one whole slot but its deadline 00:30 leaves no room: baseline
    const r60 = JSON.parse((await run([...args, '--step', '60'])).stdout) as SimulationResult;
    expect(r60.loads.map((l) => l.emissionsG)).toEqual([150, 300]);
  });

  it('replays issued forecasts: decided on the forecast, scored on the actuals, replanned as forecasts arrive', async () => {
    const args = [
      '--carbon',
      `DE=${fx('de.csv')}`,
      '--workload',
      fx('issued-workload.jsonl'),
      '--policy',
      'rolling-min',
      '--forecast',
      `issued:${fx('forecasts.csv')}`,
      '--step',
      '60',
      '--json',
    ];
    // at 00:00 the forecast says 02:00 is cleanest (actual 200)
    const once = JSON.parse((await run(args)).stdout) as SimulationResult;
    expect(once.loads[0].runs[0].start).toBe('2024-01-01T02:00:00Z');
    expect(once.loads[0].emissionsG).toBe(200);
    // the forecast issued at 01:00 points to 05:00 (actual 60)
    const replanned = JSON.parse((await run([...args, '--replan'])).stdout) as SimulationResult;
    expect(replanned.loads[0].runs[0].start).toBe('2024-01-01T05:00:00Z');
    expect(replanned.loads[0].emissionsG).toBe(60);
  });

  it('is callable without the CLI', async () => {
    const result = await simulate({
      carbon: { DE: fx('de.csv') },
      workload: fx('workload.jsonl'),
      policy: 'optimal',
      stepMin: 60,
    });
    expect(result.totals.emissionsG).toBe(370);
  });
});

describe('gridshift simulate: bad input exits 2 naming the file and line, and writes no --out', () => {
  const write = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };
  const ok = '{"id":"a","submit":"2024-01-01T00:00:00Z","durationMin":60,"powerKw":1,"zones":["DE"]}';

  const cases: [string, () => Promise<string[]>, RegExp][] = [
    [
      'unknown zone in a load',
      async () => [
        '--workload',
        await write(
          'w1.jsonl',
          `${ok}\n{"id":"b","submit":"2024-01-01T00:00:00Z","durationMin":60,"powerKw":1,"zones":["FR"]}\n`,
        ),
      ],
      /w1\.jsonl, line 2: load "b": zone "FR" has no --carbon series/,
    ],
    [
      'malformed JSON line',
      async () => ['--workload', await write('w2.jsonl', `${ok}\n\n{"id": "b"\n`)],
      /w2\.jsonl, line 3: not valid JSON/,
    ],
    [
      'missing field',
      async () => [
        '--workload',
        await write('w3.jsonl', '{"id":"a","submit":"2024-01-01T00:00:00Z","powerKw":1,"zones":["DE"]}\n'),
      ],
      /w3\.jsonl, line 1: missing field "durationMin"/,
    ],
    [
      'wrong type',
      async () => [
        '--workload',
        await write(
          'w4.jsonl',
          '{"id":"a","submit":"2024-01-01T00:00:00Z","durationMin":60,"powerKw":"1","zones":["DE"]}\n',
        ),
      ],
      /w4\.jsonl, line 1: load "a": field "powerKw" must be a number, got string/,
    ],
    [
      'deadline before earliest start',
      async () => [
        '--workload',
        await write(
          'w5.jsonl',
          '{"id":"a","submit":"2024-01-01T02:00:00Z","deadline":"2024-01-01T01:00:00Z","durationMin":60,"powerKw":1,"zones":["DE"]}\n',
        ),
      ],
      /w5\.jsonl, line 1: load "a": deadline .* is before the earliest start/,
    ],
    [
      'duplicate id',
      async () => ['--workload', await write('w6.jsonl', `${ok}\n${ok}\n`)],
      /w6\.jsonl, line 2: duplicate id "a" \(first on line 1\)/,
    ],
    [
      'missing workload file',
      async () => ['--workload', join(dir, 'nope.jsonl')],
      /nope\.jsonl: cannot read the workload \(ENOENT\)/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const out = join(dir, `out-${what.replace(/\W+/g, '-')}.json`);
      const r = await run([
        '--carbon',
        `DE=${fx('de.csv')}`,
        '--policy',
        'optimal',
        '--step',
        '60',
        '--out',
        out,
        ...(await args()),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    });
  }

  it('unreadable CSV: a missing file and a bad row', async () => {
    const missing = await run([
      ...baseArgs,
      '--policy',
      'optimal',
      '--carbon',
      `FR=${join(dir, 'none.csv')}`,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/none\.csv: cannot read the carbon file \(ENOENT\)/);
    const bad = await write(
      'bad.csv',
      'timestamp,carbon_intensity\n2024-01-01T00:00:00Z,100\n2024-01-01T01:00:00Z,lots\n',
    );
    const row = await run([...baseArgs, '--policy', 'optimal', '--carbon', `FR=${bad}`]);
    expect(row.code).toBe(2);
    expect(row.stderr).toMatch(/bad\.csv, line 3: carbon intensity "lots" is not a number/);
    const wrongShape = await run([...baseArgs, '--policy', 'optimal', '--carbon', `FR=${fx('prices.csv')}`]);
    expect(wrongShape.stderr).toMatch(/prices\.csv: expected a carbon file/);
  });

  it('bad flags', async () => {
    expect((await run([...baseArgs, '--policy', 'greedy'])).code).toBe(2);
    expect((await run([...baseArgs, '--policy', 'optimal', '--forecast', 'psychic'])).stderr).toMatch(
      /--forecast "psychic" is not one of/,
    );
    expect((await run([...baseArgs, '--policy', 'optimal', '--objective', 'fast'])).stderr).toMatch(
      /--objective/,
    );
    expect((await run([...baseArgs, '--policy', 'optimal', '--step', '0'])).stderr).toMatch(
      /--step must be a whole number/,
    );
    expect((await run([...baseArgs, '--policy', 'optimal', '--carbon', 'DE'])).stderr).toMatch(
      /expected ZONE=PATH/,
    );
    expect((await run(['--workload', fx('workload.jsonl'), '--policy', 'optimal'])).stderr).toMatch(
      /--carbon ZONE=PATH is required/,
    );
    const optimal = [...baseArgs, '--policy', 'optimal'];
    expect((await run([...optimal, '--forecast-error', 'DE'])).stderr).toMatch(
      /--forecast-error "DE": expected ZONE=G, e\.g\. --forecast-error DE=45/,
    );
    expect((await run([...optimal, '--forecast-error', 'DE=-5'])).stderr).toMatch(
      /--forecast-error DE must be a number >= 0, got "-5"/,
    );
    expect((await run([...optimal, '--wait-paths', '1.5'])).stderr).toMatch(
      /--wait-paths must be a whole number >= 0, got "1\.5"/,
    );
    const many = await run([...optimal, '--wait-paths', '5000']);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/--wait-paths must be a whole number from 0 to 1000, got 5000/);
    // reaches the engine, which knows the zones of the run
    const other = await run([...optimal, '--forecast-error', 'FR=10']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/forecast error given for zone FR, which has no --carbon series/);
    expect((await run([...optimal, '--forecast-error', 'DE=45', '--json'])).code).toBe(0);
  });
});
