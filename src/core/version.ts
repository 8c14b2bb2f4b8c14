import { readFileSync } from 'node:fs';

/** gridshift's version, read once from package.json (the same relative path from src/core and dist/core). */
export const VERSION: string = (() => {
  try {
    return String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  } catch {
    return '0.0.0';
  }
})();
