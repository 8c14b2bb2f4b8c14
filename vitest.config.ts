import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the dashboard's sources are built by Vite and tested in a browser (test/web), never run here
    exclude: [...configDefaults.exclude, 'web/**'],
    testTimeout: 20_000,
    // opening an embedded store or starting a server can take seconds on a busy 2-core machine
    hookTimeout: 30_000,
  },
});
