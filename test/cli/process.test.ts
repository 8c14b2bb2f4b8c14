import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The real executable path: Node 24 (the project's `node` dependency) runs the TypeScript source directly.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const MAIN = join(ROOT, 'src/cli/main.ts');
const CWD = mkdtempSync(join(tmpdir(), 'gridshift-proc-'));
afterAll(() => rmSync(CWD, { recursive: true, force: true }));

function gridshift(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GRIDSHIFT_CONFIG;
  const r = spawnSync(NODE, [MAIN, '--now', '2024-06-03T08:00:00Z', ...args], {
    cwd: CWD,
    env,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the gridshift process', () => {
  it('the README quick start answers offline, with exit code 0', () => {
    const r = gridshift('plan', '--zone', 'DE', '--duration', '2h', '--power', '1.5kW', '--deadline', '+12h');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Run the load in DE /);
    expect(r.stdout).toContain('Run now:');
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('bad input: exit 2 and one error line, no stack trace', () => {
    const r = gridshift('plan', '--zone', 'DE', '--duration', '2h', '--power', '1.5kW', '--deadline', '+1h');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --deadline: /);
  });
});
