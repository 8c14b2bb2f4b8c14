/**
 * The stopping rule of `optimal` under replanning (src/planner/stopping.ts), before and after:
 * `node bench/waiting.ts` (Node 24 runs the TypeScript directly).
 *
 * Replays the workloads of bench/simulate.ts under `horizon:24:0.05` and `horizon:24`, both with replanning,
 * with `optimal` starting a one-piece load when its plan says so ("before", waitPaths 0) and with the rule
 * that weighs starting now against waiting on sampled paths ("after", the default). Reported per workload and
 * zone, for one-piece and interruptible loads, and by half-year: the first half of 2020 (DE) is where the
 * rule's settings were chosen; every other row is held out. Also: the regret distribution per load (its
 * emissions above its own optimum, as a share of its run-now emissions) and the wall time of each run.
 *
 * Prints Markdown and writes bench/out/waiting.json. Skips when ../shared/data is missing.
 *
 *   node bench/waiting.ts [--only nightly,ml,ml-next-workday,adhoc] [--modes horizon:24:0.05,horizon:24]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resample } from '../src/core/series.ts';
import { MINUTE_MS } from '../src/core/time.ts';
import { createForecaster } from '../src/signals/forecast.ts';
import {
  runSimulation,
  type SeriesInput,
  type SimulationInput,
  type SimulationResult,
  savingsPct,
} from '../src/simulate/engine.ts';
import { type IssuedForecast, noisy, parseForecastMode } from '../src/simulate/forecast-modes.ts';
import { DATA, type Scenario, scenarios } from './simulate.ts';

const OUT = fileURLToPath(new URL('./out/', import.meta.url));

interface Row {
  scenario: string;
  mode: string;
  subset: string;
  loads: number;
  beforePct: number;
  afterPct: number;
}

interface Regret {
  scenario: string;
  mode: string;
  rule: 'before' | 'after';
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** share of loads within 0.1 % (of their run-now emissions) of their optimum */
  atOptimumPct: number;
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function subsetsOf(sc: Scenario): { name: string; ids: Set<string> | null }[] {
  const year = new Date(sc.loads[0]?.submitMs ?? 0).getUTCFullYear();
  const july = Date.UTC(year, 6, 1);
  const ids = (keep: (submitMs: number, interruptible: boolean) => boolean) =>
    new Set(sc.loads.filter((l) => keep(l.submitMs, l.interruptible)).map((l) => l.id));
  const halves = [
    { name: 'submitted Jan-Jun', ids: ids((t) => t < july) },
    { name: 'submitted Jul-Dec', ids: ids((t) => t >= july) },
  ];
  const kinds = sc.loads.some((l) => l.interruptible)
    ? [
        { name: 'one piece', ids: ids((_, i) => !i) },
        { name: 'interruptible', ids: ids((_, i) => i) },
      ]
    : [];
  return [{ name: 'all', ids: null }, ...kinds, ...halves];
}

/** % of the optimum: the saving against run-now as a share of the perfect-foresight saving. */
function ofOptimum(r: SimulationResult, best: SimulationResult, ids: Set<string> | null): number {
  let e = 0;
  let b = 0;
  let o = 0;
  best.loads.forEach((l, i) => {
    if (ids && !ids.has(l.id)) return;
    e += r.loads[i].emissionsG;
    b += l.baselineEmissionsG;
    o += l.emissionsG;
  });
  return (100 * savingsPct(b, e)) / savingsPct(b, o);
}

function regret(sc: string, mode: string, rule: Regret['rule'], r: SimulationResult, best: SimulationResult) {
  const shares = best.loads
    .map((l, i) =>
      l.baselineEmissionsG > 0 ? (100 * (r.loads[i].emissionsG - l.emissionsG)) / l.baselineEmissionsG : 0,
    )
    .sort((a, b) => a - b);
  const q = (p: number) => shares[Math.min(shares.length - 1, Math.floor(p * shares.length))];
  return {
    scenario: sc,
    mode,
    rule,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: shares[shares.length - 1],
    atOptimumPct: (100 * shares.filter((s) => s <= 0.1).length) / shares.length,
  };
}

/**
 * Forecasts issued every hour: the next 24 hours as `horizon:24:0.05` shows them (the same noisy values),
 * then, with `level`, 6 more days of the true daily level (the actual mean of the 24 hours centred on each
 * slot) plus the daily shape of the 28 days before the issue time; without it, nothing past 24 hours (the
 * control: `optimal` then estimates the rest as under `horizon:24:0.05`).
 */
function levelForecasts(
  series: SeriesInput,
  zone: string,
  stepMin: number,
  level: boolean,
): IssuedForecast[] {
  const g = resample(series, stepMin);
  const a = g.values;
  const n = a.length;
  const day = (24 * 60) / stepMin;
  const stepMs = stepMin * MINUTE_MS;
  const shown = noisy([{ zone, carbon: a, firstSlot: 0 }], 0.05, 1)[0];
  const sum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) sum[i + 1] = sum[i] + a[i];
  const dailyLevel = (t: number) => {
    const lo = Math.max(0, t - day / 2);
    const hi = Math.min(n, t + day / 2);
    return (sum[hi] - sum[lo]) / (hi - lo);
  };
  const out: IssuedForecast[] = [];
  for (let h = 0; h < n; h += Math.max(1, 60 / stepMin)) {
    const from = Math.max(0, h - 28 * day);
    const mean = (sum[h] - sum[from]) / Math.max(1, h - from);
    const shape = new Float64Array(day);
    for (let i = from; i < h; i++) shape[i % day] += (a[i] - mean) / ((h - from) / day);
    const end = Math.min(n, h + (level ? 7 : 1) * day);
    const points = [];
    for (let t = h; t < end; t++)
      points.push({
        start: g.startMs + t * stepMs,
        value: t < h + day ? shown[t] : dailyLevel(t) + shape[t % day],
      });
    out.push({ issuedAtMs: g.startMs + h * stepMs, points, resolutionMin: stepMin });
  }
  return out;
}

/** How well the forecaster predicts the mean of each day past a 24-hour horizon, against the last 28 days' mean. */
function levelSkill(series: SeriesInput, stepMin: number): { day: number; rmse: number; rmse28: number }[] {
  const g = resample(series, stepMin);
  const a = g.values;
  const day = (24 * 60) / stepMin;
  const f = createForecaster({ stepMin, startMs: g.startMs });
  const ahead = new Float64Array(4 * day);
  const err = [0, 0, 0];
  const err28 = [0, 0, 0];
  let count = 0;
  for (let t = 0; t < a.length; t++) {
    if (t >= 28 * day && t % day === 0 && t + 4 * day <= a.length) {
      f.predictInto(ahead, t, t + 4 * day, 0);
      let m28 = 0;
      for (let i = t - 28 * day; i < t; i++) m28 += a[i] / (28 * day);
      for (let d = 1; d <= 3; d++) {
        let actual = 0;
        let predicted = 0;
        for (let i = d * day; i < (d + 1) * day; i++) {
          actual += a[t + i] / day;
          predicted += ahead[i] / day;
        }
        err[d - 1] += (actual - predicted) ** 2;
        err28[d - 1] += (actual - m28) ** 2;
      }
      count++;
    }
    f.observe(a[t]);
  }
  return [1, 2, 3].map((d) => ({
    day: d,
    rmse: Math.sqrt(err[d - 1] / count),
    rmse28: Math.sqrt(err28[d - 1] / count),
  }));
}

type Base = Pick<SimulationInput, 'carbon' | 'loads' | 'policy' | 'stepMin'>;

/**
 * `optimal` on the ML jobs with views past the 24-hour horizon that know more than the past: the true level of
 * the following days (levelForecasts), or a longer forecast with the same 5 % error.
 */
function whatIsMissing(sc: Scenario, best: SimulationResult, base: Base) {
  const [zone] = Object.keys(sc.carbon);
  const onePiece = new Set(sc.loads.filter((l) => !l.interruptible).map((l) => l.id));
  const views: [string, Partial<SimulationInput>][] = [
    [
      'issued: horizon:24:0.05 values, nothing after (control)',
      {
        forecast: { kind: 'issued', path: 'control', zone },
        issued: { [zone]: levelForecasts(sc.carbon[zone], zone, sc.stepMin, false) },
      },
    ],
    [
      "issued: the same, then the true daily level and the last 28 days' shape",
      {
        forecast: { kind: 'issued', path: 'level', zone },
        issued: { [zone]: levelForecasts(sc.carbon[zone], zone, sc.stepMin, true) },
      },
    ],
    ['horizon:48:0.05', { forecast: parseForecastMode('horizon:48:0.05') }],
    ['horizon:72:0.05', { forecast: parseForecastMode('horizon:72:0.05') }],
  ];
  return views.map(([view, extra]) => {
    const r = runSimulation({ ...base, ...extra, replan: true });
    return {
      scenario: sc.name,
      view,
      allPct: ofOptimum(r, best, null),
      onePiecePct: ofOptimum(r, best, onePiece),
    };
  });
}

function skillOf(sc: Scenario) {
  const [zone] = Object.keys(sc.carbon);
  return levelSkill(sc.carbon[zone], sc.stepMin).map((x) => ({ data: sc.data, ...x }));
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: 'string' },
      modes: { type: 'string' },
      missing: { type: 'boolean', default: true },
    },
  });
  if (!existsSync(`${DATA}carbon`)) {
    console.log(`waiting benchmark skipped: no shared data at ${DATA} (see docs/benchmarks.md)`);
    return;
  }
  const only = new Set((values.only ?? 'nightly,ml,ml-next-workday,adhoc').split(',').map((s) => s.trim()));
  const modes = (values.modes ?? 'horizon:24:0.05,horizon:24').split(',').map((m) => m.trim());
  const rows: Row[] = [];
  const regrets: Regret[] = [];
  const times: { scenario: string; mode: string; beforeMs: number; afterMs: number }[] = [];
  const missing: { scenario: string; view: string; allPct: number; onePiecePct: number }[] = [];
  const skill: { data: string; day: number; rmse: number; rmse28: number }[] = [];
  const t0 = performance.now();
  for (const sc of scenarios(only, 60)) {
    const base = { carbon: sc.carbon, loads: sc.loads, policy: 'optimal' as const, stepMin: sc.stepMin };
    const best = runSimulation(base);
    for (const m of modes) {
      const forecast = parseForecastMode(m);
      const timed = (waitPaths?: number) => {
        const t = performance.now();
        const r = runSimulation({ ...base, forecast, replan: true, waitPaths });
        return { r, ms: performance.now() - t };
      };
      const before = timed(0);
      const after = timed();
      times.push({ scenario: sc.name, mode: m, beforeMs: before.ms, afterMs: after.ms });
      for (const s of subsetsOf(sc))
        rows.push({
          scenario: sc.name,
          mode: m,
          subset: s.name,
          loads: s.ids?.size ?? sc.loads.length,
          beforePct: ofOptimum(before.r, best, s.ids),
          afterPct: ofOptimum(after.r, best, s.ids),
        });
      regrets.push(regret(sc.name, m, 'before', before.r, best), regret(sc.name, m, 'after', after.r, best));
      process.stderr.write('.');
    }
    if (sc.workload === 'ml' && values.missing !== false) {
      missing.push(...whatIsMissing(sc, best, base));
      skill.push(...skillOf(sc));
    }
  }
  process.stderr.write('\n');
  const totalS = (performance.now() - t0) / 1000;
  const lines = [
    `Waiting benchmark: Node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}); ${fmt(totalS)} s`,
    '',
    '#### `optimal` with replanning, % of the optimum: start when planned (before) and the stopping rule (after)',
    '',
    `| scenario | loads | ${modes.map((m) => `${m} before | ${m} after`).join(' | ')} |`,
    `|---|---:|${modes.map(() => '---:|---:').join('|')}|`,
  ];
  const keys = [...new Set(rows.map((r) => `${r.scenario}|${r.subset}`))];
  for (const key of keys) {
    const [scenario, subset] = key.split('|');
    const mine = modes.map(
      (m) => rows.find((r) => r.scenario === scenario && r.subset === subset && r.mode === m)!,
    );
    const label = subset === 'all' ? scenario : `${scenario}, ${subset}`;
    lines.push(
      `| ${label} | ${mine[0].loads} | ${mine.map((r) => `${fmt(r.beforePct)} | ${fmt(r.afterPct)}`).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    "#### Regret per load: emissions above the load's own optimum, % of its run-now emissions",
    '',
    '| scenario | forecast | rule | median | 90th pct | 99th pct | max | loads at the optimum |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...regrets.map(
      (g) =>
        `| ${g.scenario} | ${g.mode} --replan | ${g.rule} | ${fmt(g.p50, 2)} | ${fmt(g.p90, 2)} | ${fmt(g.p99, 2)} | ${fmt(g.max, 2)} | ${fmt(g.atOptimumPct)} % |`,
    ),
    '',
    ...(missing.length === 0
      ? []
      : [
          '#### What is missing past the horizon: `optimal` with replanning on the ML jobs, % of the optimum',
          '',
          '| scenario | view | all | one piece |',
          '|---|---|---:|---:|',
          ...missing.map((m) => `| ${m.scenario} | ${m.view} | ${fmt(m.allPct)} | ${fmt(m.onePiecePct)} |`),
          '',
          "#### How well the past foretells each day's level past a 24-hour horizon (RMSE of the daily mean, g/kWh)",
          '',
          '| data | day | forecaster | mean of the last 28 days | skill (1 - MSE ratio) |',
          '|---|---|---:|---:|---:|',
          ...skill.map(
            (k) =>
              `| ${k.data} | ${k.day === 1 ? 'hours 24-48' : k.day === 2 ? 'hours 48-72' : 'hours 72-96'} | ${fmt(k.rmse)} | ${fmt(k.rmse28)} | ${fmt(1 - (k.rmse / k.rmse28) ** 2, 2)} |`,
          ),
          '',
        ]),
    '#### Wall time per simulate run (ms)',
    '',
    '| scenario | forecast | before | after |',
    '|---|---|---:|---:|',
    ...times.map(
      (t) => `| ${t.scenario} | ${t.mode} --replan | ${fmt(t.beforeMs, 0)} | ${fmt(t.afterMs, 0)} |`,
    ),
  );
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    `${OUT}waiting.json`,
    `${JSON.stringify({ bench: 'waiting', node: process.version, modes, rows, regrets, missing, skill, times, totalSeconds: totalS }, null, 2)}\n`,
  );
}

if (import.meta.main) main();
