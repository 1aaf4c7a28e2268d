import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Suites start real processes (redis-server, sshd, gateways, workers);
    // each file gets its own, on free ports, so files run side by side.
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/plain-summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'suites', include: ['test/**/*.test.ts'], exclude: ['test/attacks/**'], sequence: { groupOrder: 0 } },
      },
      {
        // The attack suites assert that a neighbouring session keeps
        // answering within a bound while one user misbehaves: they run after
        // the others, one at a time, so what they measure is the system's
        // isolation under the attack, not the test run's own load.
        extends: true,
        test: { name: 'attacks', include: ['test/attacks/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
