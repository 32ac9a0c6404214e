import { defineConfig } from 'vitest/config';

/*
 * Two projects, both run by `npm test`:
 * - unit: the rules against in-memory fakes of the ports; no server, no network.
 * - integration: moto_server (one per file, on its own port), the Salesforce and Glance
 *   simulators, the CLI, the CDK synth.
 * Timeouts are nets for a hang, not budgets: a loaded 2-core machine may take many times the
 * usual duration, and no test may fail for being slow.
 */
export default defineConfig({
  test: {
    // Each integration file starts its own moto_server; two cores, so two forks.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The handler bundles, built once per run (and cached by content) for the tests that run them.
          globalSetup: ['test/support/bundles.global.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
