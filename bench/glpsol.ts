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
  /** wall time of the glpsol process, ms */
  elapsedMs: number;
}

/** Solves `lpText` (CPLEX LP format, minimise) with glpsol (all its cuts on), to proven optimality unless the time limit stops it. */
export function solveWithGlpsol(lpText: string, timeLimitS = 300): GlpsolResult {
  const dir = mkdtempSync(join(tmpdir(), 'gridshift-glpk-'));
  try {
    const lp = join(dir, 'home.lp');
    const out = join(dir, 'home.txt');
    writeFileSync(lp, lpText);
    const started = performance.now();
    const r = spawnSync('glpsol', ['--lp', lp, '--cuts', '--tmlim', String(timeLimitS), '-o', out], {
      encoding: 'utf8',
    });
    const elapsedMs = performance.now() - started;
    if (r.status !== 0) throw new Error(`glpsol failed (${r.status}): ${r.stdout}${r.stderr}`);
    const report = readFileSync(out, 'utf8');
    const status = /^Status:\s+(.+)$/m.exec(report)?.[1].trim() ?? 'unknown';
    const objective = /^Objective:\s+\S+\s+=\s+(\S+)/m.exec(report)?.[1];
    return { status, objectiveValue: objective === undefined ? Number.NaN : Number(objective), elapsedMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
