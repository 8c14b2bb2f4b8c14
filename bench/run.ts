/**
 * Runs every benchmark in turn (`npm run bench`), or the ones named: `npm run bench -- planner forecast`.
 * Each writes its Markdown table to stdout and its raw numbers to bench/out/<name>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ALL = [
  'planner',
  'forecast',
  'home-load',
  'simulate',
  'waiting',
  'issued',
  'bounds',
  'service',
  'dashboard',
  'home',
  'home-simulate',
];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : ALL;
const here = fileURLToPath(new URL('.', import.meta.url));
mkdirSync(`${here}out`, { recursive: true });

let failed = 0;
for (const name of names) {
  const file = `${here}${name}.ts`;
  if (!existsSync(file)) {
    console.error(`no benchmark named ${name} (expected ${file})`);
    failed++;
    continue;
  }
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
