import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the dashboard's sources are built by Vite and tested in a browser (test/web), never run here
    exclude: [...configDefaults.exclude, 'web/**'],
    testTimeout: 20_000,
    // two files at a time: vitest's default (the cores less one) is a single worker on a 2-core machine, and
    // the suite mostly waits on databases, the broker, child processes and a browser (805 s -> 387 s here)
    maxWorkers: 2,
    // opening an embedded store or starting a server can take seconds on a busy 2-core machine
    hookTimeout: 30_000,
  },
});
