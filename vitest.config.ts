import { defineConfig } from 'vitest/config';

// Tests run real child processes (the agent inside real Node), so they get real time limits.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two cores: one test file at a time keeps timing-sensitive stop conditions honest.
    fileParallelism: false,
  },
});
