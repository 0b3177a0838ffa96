// Vitest globalSetup: one Postgres and one Temporal dev server for the whole run, shared by all test
// files (each file makes its own database with createDatabase). Runs once, in the main vitest process.
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../src/devstack/postgres.js';
import { startTemporal, type TemporalHandle } from '../src/devstack/temporal.js';

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgres();
  let temporal: TemporalHandle;
  try {
    temporal = await startTemporal(); // headless
  } catch (err) {
    await postgres.stop(); // don't leave Postgres behind when Temporal fails to start
    throw err;
  }
  provide('databaseUrl', postgres.url);
  provide('temporalAddress', temporal.address);
  provide('temporalNamespace', temporal.namespace);

  return async () => {
    await Promise.allSettled([temporal.stop(), postgres.stop()]);
  };
}
