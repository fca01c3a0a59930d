import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two files at a time even on 2 cores: the soaks and the multi-process e2e tests mostly wait on timers and child
    // processes, so one beside the rest halves the wall time (vitest's default is cores - 1).
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
