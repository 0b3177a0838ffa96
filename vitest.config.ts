// Two vitest projects: `unit` (test/unit, no services, seconds) and `integration` (everything else, on the
// Postgres + Temporal dev server that test/global-setup.ts starts once). `vitest run` runs both.
import { configDefaults, defineConfig } from 'vitest/config';

const UNIT = 'test/unit/**/*.test.ts';

export default defineConfig({
  test: {
    // Workers with native Temporal core segfault (exit 139) under pool 'threads' when more than one
    // file runs a Worker (vitest 3, @temporalio/worker 1.24): one process per test file.
    pool: 'forks',
    fileParallelism: true,
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: [UNIT], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT],
          globalSetup: ['test/global-setup.ts'],
          // Generous: a scenario of many CLI runs takes minutes on a busy 2-core CI machine (a hang still fails).
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
