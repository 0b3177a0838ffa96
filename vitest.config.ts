import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Workers with native Temporal core segfault under pool 'threads' (FACTS.md).
    pool: 'forks',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: true,
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
