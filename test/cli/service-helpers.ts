import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/program.ts';

/** Running the `gridshift` service commands in tests: in this process, or as the real executable. */

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const MAIN = join(ROOT, 'src/cli/main.ts');
export const CLI_FIXTURES = join(ROOT, 'test/fixtures/cli/');

/** The CLI in this process, with its own environment (no DATABASE_URL or GRIDSHIFT_* of the test runner). */
export async function runIn(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; nowMs?: number } = {},
): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? CLI_FIXTURES,
    now: () => options.nowMs ?? Date.now(),
  });
  return { code, stdout, stderr };
}

/** The environment of a child `gridshift`: the test runner's, without anything that would pick a store. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('GRIDSHIFT_') || k === 'DATABASE_URL') delete env[k];
  return { ...env, ...extra };
}

/** The real `gridshift` executable (Node 24 runs the TypeScript source), to completion. */
export function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
  timeoutMs = 60_000,
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(NODE, [MAIN, ...args], { env, cwd, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON a command printed, once it is known to have succeeded (else the test fails with its stderr). */
// biome-ignore lint/suspicious/noExplicitAny: tests read the fields they check
export function okJson(r: Ran): any {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Polls `fn` until it gives a value (a throw counts as none yet); fails naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
