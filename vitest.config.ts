import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The handler bundles, built once per run (and cached by content) for the tests that run them.
    globalSetup: ['test/support/bundles.global.ts'],
    // Each integration file starts its own moto_server; two cores, so two forks.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
