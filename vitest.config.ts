import { defineConfig } from 'vitest/config';

// The machine has two cores. Unit tests are pure and fast; integration and e2e tests start real brokers
// and drive load, so at most two test files run at once (one fork per core) and tests inside a file run
// one after another: no file starves another of CPU.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // the default report for people, and a JSON one from which .ci/run prints the plain summary line
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
