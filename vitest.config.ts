import { defineConfig } from 'vitest/config';

// The machine has two cores. Unit tests are pure and fast and run two files at a time. Integration and
// e2e tests start real brokers and drive load: their project runs its files one after another in a single
// fork, so no such file starves another of CPU and nothing needs sleeps or retries to pass.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // the default report for people, and a JSON one from which .ci/run prints the plain summary line
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'load',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
