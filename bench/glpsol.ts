/**
 * GLPK's `glpsol` (Debian package glpk-utils) as an independent MILP solver: solves a CPLEX LP file and
 * reads the optimum back. Used by the home optimiser's cross-check test and benchmark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasGlpsol(): boolean {
  return spawnSync('glpsol', ['--version'], { encoding: 'utf8' }).status === 0;
}

export interface GlpsolResult {
  /** `OPTIMAL`, `INTEGER OPTIMAL`, `INTEGER EMPTY`, `UNDEFINED` ... as glpsol reports it */
  status: string;
  objectiveValue: number;
  /** wall time from starting glpsol to its exit, ms */
  elapsedMs: number;
  /** CPU time (user + system) of glpsol itself, ms */
  cpuMs: number;
}

/** The children's line of bash's `times` (`0m0.034s 0m0.011s`), user + system in ms. */
function childCpuMs(timesOutput: string): number {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  const ms = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map(
    ([, m, sec]) => (Number(m) * 60 + Number(sec)) * 1000,
  );
  return ms.length === 2 ? ms[0] + ms[1] : Number.NaN;
}

/** Solves `lpText` (CPLEX LP format, minimise) with glpsol (all its cuts on), to proven optimality unless the time limit stops it. */
export function solveWithGlpsol(lpText: string, timeLimitS = 300): GlpsolResult {
  const dir = mkdtempSync(join(tmpdir(), 'gridshift-glpk-'));
  try {
    const lp = join(dir, 'home.lp');
    const out = join(dir, 'home.txt');
    writeFileSync(lp, lpText);
    const started = performance.now();
    // through bash, whose `times` gives the CPU time of its child (glpsol) to the millisecond
    const script = 'glpsol "$@" >/dev/null; s=$?; times; exit $s';
    const args = ['--lp', lp, '--cuts', '--tmlim', String(timeLimitS), '-o', out];
    const r = spawnSync('bash', ['-c', script, 'bash', ...args], { encoding: 'utf8' });
    const elapsedMs = performance.now() - started;
    if (r.status !== 0) throw new Error(`glpsol failed (${r.status}): ${r.stdout}${r.stderr}`);
    const report = readFileSync(out, 'utf8');
    const status = /^Status:\s+(.+)$/m.exec(report)?.[1].trim() ?? 'unknown';
    const objective = /^Objective:\s+\S+\s+=\s+(\S+)/m.exec(report)?.[1];
    return {
      status,
      objectiveValue: objective === undefined ? Number.NaN : Number(objective),
      elapsedMs,
      cpuMs: childCpuMs(r.stdout),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
