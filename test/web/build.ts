import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's build for the browser tests: made with Vite when web/dist is missing or older than any
 * of its sources (web/ and what of src/ it bundles), so that `npm test` on a fresh clone needs nothing
 * before it.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'web/dist/index.html');
/** web/ and what of src/ the dashboard bundles (the client; the report's formatting and equivalents) */
const SOURCES = [
  'web/src',
  'web/index.html',
  'web/vite.config.ts',
  'src/client',
  'src/core/format.ts',
  'src/core/time.ts',
  'src/accounting/equivalents.ts',
].map((p) => join(ROOT, p));

function newestMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMs(join(path, name))));
}

export function dashboardIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  return Math.max(...SOURCES.map(newestMs)) > statSync(BUILT).mtimeMs;
}

export async function ensureDashboardBuilt(): Promise<void> {
  if (!dashboardIsStale()) return;
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  // the production build, as npm run build makes it (vitest sets NODE_ENV=test, which Vite would follow)
  const env = { ...process.env, NODE_ENV: 'production' };
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [vite, 'build', 'web', '--logLevel', 'warn'],
      { cwd: ROOT, env, timeout: 120_000 },
      (err, _out, stderr) =>
        err ? reject(new Error(`the dashboard's build failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}
