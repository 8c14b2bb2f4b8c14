/** `gridshift home simulate` in-process: the JSON it prints and writes, the text summary, and exit code 2 on bad input. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';

const DIR = mkdtempSync(join(tmpdir(), 'gridshift-home-sim-'));
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

function file(name: string, text: string): string {
  const path = join(DIR, name);
  writeFileSync(path, text);
  return path;
}

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Three days from Monday 2024-03-04, hourly: 600 W at night, 1,200 W in the evening, PV at midday. */
function householdCsv(columns = 'timestamp,load_w,pv_w,pv_forecast_w'): string {
  const start = Date.parse('2024-03-04T00:00:00Z');
  const rows = [columns];
  for (let t = 0; t < 72; t++) {
    const h = t % 24;
    const pv = h >= 9 && h < 16 ? 2000 : 0;
    const load = h >= 18 && h < 22 ? 1200 : 600;
    rows.push(
      columns.split(',').length === 4
        ? `${iso(start + t * HOUR)},${load},${pv || ''},${pv * 0.9}`
        : `${iso(start + t * HOUR)},${load},${pv}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** Hourly prices from `startIso` for `hours`: cheap at night, dear in the evening. */
function pricesCsv(startIso: string, hours: number): string {
  const start = Date.parse(startIso);
  const rows = ['timestamp,price'];
  for (let t = 0; t < hours; t++) {
    const h = new Date(start + t * HOUR).getUTCHours();
    rows.push(`${iso(start + t * HOUR)},${h < 6 ? 0.05 : h >= 17 && h < 21 ? 0.3 : 0.12}`);
  }
  return `${rows.join('\n')}\n`;
}

const home = {
  zone: 'DE',
  timeZone: 'UTC',
  stepMin: 60,
  horizonHours: 12,
  exportPricePerKwh: 0.02,
  baseLoadKw: 0.6,
  battery: { socMinKwh: 0.5, socMaxKwh: 5, maxChargeKw: 2, maxDischargeKw: 2, initialSocKwh: 2 },
  appliances: [{ id: 'dishwasher', powerKw: 1, durationMin: 60, earliest: '19:00', latestEnd: '23:00' }],
};

const household = file('household.csv', householdCsv());
const prices2024 = file('prices-2024.csv', pricesCsv('2024-03-03T00:00:00Z', 24 * 6));
const homeFile = file('home.json', JSON.stringify(home));
const base = ['home', 'simulate', '--household', household, '--home', homeFile, '--warmup-days', '1'];

describe('gridshift home simulate', () => {
  it('prints the result JSON and writes the same to --out', async () => {
    const out = join(DIR, 'result.json');
    const r = await run([...base, '--prices', prices2024, '--retail', '1,0.1,0', '--json', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
    const j = JSON.parse(r.stdout);
    expect(j.period).toEqual({
      start: '2024-03-05T00:00:00Z',
      end: '2024-03-07T00:00:00Z',
      stepMin: 60,
      slots: 48,
    });
    expect(Object.keys(j)).toEqual([
      'period',
      'inputs',
      'objective',
      'baseline',
      'mpc',
      'perfect',
      'storedEnergyValuePerKwh',
      'storageAdjustedCost',
      'savings',
      'shareOfOptimum',
      'perfectForesight',
      'mpcSolve',
      'elapsedMs',
    ]);
    expect(j.inputs).toMatchObject({
      retail: { factor: 1, feePerKwh: 0.1, vatPct: 0 },
      alignment: { prices: [{ from: '2024-03-05T00:00:00Z', to: '2024-03-07T00:00:00Z', shiftWeeks: 0 }] },
      filledLoadSlots: 0,
      realisation: 'absorb',
    });
    expect(j.baseline.emissionsG).toBeUndefined();
    expect(j.mpcSolve.steps).toBe(48);
    expect(j.perfectForesight).toMatchObject({ blocks: 2, blockStart: '00:00', windowsSplit: false });
    for (const k of ['baseline', 'mpc', 'perfect']) expect(j[k].cost).toBeGreaterThan(0);
    expect(j.perfect.cost).toBeLessThanOrEqual(j.baseline.cost);
  });

  it('shifts a price year by 52 weeks with --align-year and says so in the summary', async () => {
    // 2023-03-06 is a Monday, 364 days before Monday 2024-03-04
    const prices2023 = file('prices-2023.csv', pricesCsv('2023-03-05T00:00:00Z', 24 * 6));
    const r = await run([
      ...base,
      '--prices',
      prices2023,
      '--align-year',
      '--carbon',
      file(
        'c.csv',
        'timestamp,carbon_intensity\n2023-03-01T00:00:00Z,300\n2023-03-02T00:00:00Z,300\n2023-03-20T00:00:00Z,300\n',
      ),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Home replay 2024-03-05T00:00:00Z \.\. 2024-03-07T00:00:00Z: 48 slots of 60 min/,
    );
    expect(r.stdout).toContain(
      'Prices: shifted by whole weeks onto the period (weekdays kept): 2024-03-05..2024-03-07 +52 weeks',
    );
    expect(r.stdout).toMatch(/baseline rule .* kg/);
    const plain = await run([...base, '--prices', prices2023]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /--prices .*prices-2023\.csv does not cover 2024-03-05T00:00:00Z.*pass --align-year/,
    );
  });

  it("takes the home and its zone's retail tariff from the configuration file", async () => {
    const config = file(
      'config.json',
      JSON.stringify({ zones: { DE: { retail: { factor: 1, feePerKwh: 0.2, vatPct: 10 } } }, home }),
    );
    const r = await run([
      '--config',
      config,
      ...base.slice(0, 4),
      '--warmup-days',
      '1',
      '--prices',
      prices2024,
      '--to',
      '2024-03-06',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.inputs.retail).toEqual({ factor: 1, feePerKwh: 0.2, vatPct: 10 });
    expect(j.period.slots).toBe(24);
    // the stored energy's value is the mean retail price times the discharge efficiency (0.95 by default):
    // 6 h at (0.05 + 0.2) x 1.1, 4 h at (0.3 + 0.2) x 1.1, 14 h at (0.12 + 0.2) x 1.1
    expect(j.storedEnergyValuePerKwh).toBeCloseTo(((6 * 0.275 + 4 * 0.55 + 14 * 0.352) / 24) * 0.95, 5);
  });

  it('exits 2 naming the file, the column or the field', async () => {
    const noColumn = file('short.csv', householdCsv('timestamp,load_w,pv_w'));
    let r = await run([
      'home',
      'simulate',
      '--household',
      noColumn,
      '--home',
      homeFile,
      '--prices',
      prices2024,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/short\.csv, line 1: no column pv_forecast_w/);
    const badRow = file('bad.csv', `${householdCsv()}2024-03-07T00:00:00Z,lots,0,0\n`);
    r = await run(['home', 'simulate', '--household', badRow, '--home', homeFile, '--prices', prices2024]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv, line 74: load_w "lots" is not a number/);
    const badHome = file(
      'bad-home.json',
      JSON.stringify({ ...home, battery: { ...home.battery, socMinKwh: 9 } }),
    );
    r = await run([...base.slice(0, 4), '--home', badHome, '--prices', prices2024]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-home\.json: home\.battery\.socMinKwh: 9 is above socMaxKwh 5/);
    r = await run([...base.slice(0, 4), '--prices', prices2024]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no home to replay: pass --home FILE/);
    r = await run([...base, '--prices', household]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/household\.csv, line 1: unrecognised header/);
    r = await run([...base, '--prices', prices2024, '--retail', '1,0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--retail "1,0\.1": expected FACTOR,FEE_PER_KWH,VAT_PCT/);
    const out = join(DIR, 'never.json');
    r = await run([...base, '--prices', prices2024, '--from', '2030-01-01', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/household\.csv: no whole slot of 60 min/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('gridshift home simulate --devices', () => {
  // two days from 2024-03-04: carbon 400 and price 0.30 at 18:00-20:00, else 100 and 0.10
  const rows = (col: string, peakValue: number, base: number) => {
    const start = Date.parse('2024-03-04T00:00:00Z');
    const out = [`timestamp,${col}`];
    for (let t = 0; t < 48; t++)
      out.push(`${iso(start + t * HOUR)},${t % 24 >= 18 && t % 24 < 20 ? peakValue : base}`);
    return `${out.join('\n')}\n`;
  };
  const devices = () =>
    file(
      'devices.json',
      JSON.stringify({
        timeZone: 'UTC',
        appliances: [{ name: 'dishwasher', powerKw: 1, runMin: 60, startsAt: '18:00', latestEnd: '23:00' }],
      }),
    );

  it('replays the appliance runs per strategy against running at once', async () => {
    const prices = file('dev-prices.csv', rows('price', 0.3, 0.1));
    const carbon = file('dev-carbon.csv', rows('carbon_intensity', 400, 100));
    const r = await run([
      'home',
      'simulate',
      '--devices',
      devices(),
      '--prices',
      prices,
      '--carbon',
      carbon,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ from: '2024-03-04T00:00:00Z', to: '2024-03-06T00:00:00Z', threshold: 0.6 });
    expect(out.atOnce).toMatchObject({ runs: 2, emissionsG: 800 });
    expect(out.byStrategy.eco).toMatchObject({ emissionsG: 200, savedEmissionsPct: 75, delayedRuns: 2 });
    const text = await run([
      'home',
      'simulate',
      '--devices',
      devices(),
      '--prices',
      prices,
      '--carbon',
      carbon,
    ]);
    expect(text.stdout).toMatch(/eco +0\.20 +66\.7 % +0\.2 +75\.0 % +2 +0 +120 min/);
  });

  it('exits 2 without carbon, with a household too, or for a bad devices file', async () => {
    const prices = file('dev-prices2.csv', rows('price', 0.3, 0.1));
    expect((await run(['home', 'simulate', '--devices', devices(), '--prices', prices])).stderr).toMatch(
      /--carbon: /,
    );
    const bad = file(
      'bad-devices.json',
      JSON.stringify({
        appliances: [{ name: 'x', powerKw: -1, runMin: 60, startsAt: '18:00', latestEnd: '20:00' }],
      }),
    );
    const r = await run(['home', 'simulate', '--devices', bad, '--prices', prices, '--carbon', prices]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/appliances\[0\]\.powerKw/);
  });
});
