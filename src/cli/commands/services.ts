// `docsync worker` and `docsync dev`: a worker against existing services, or the whole embedded
// stack (Temporal dev server + UI, Postgres, worker) in one process tree.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, DEV_ENV_FILE, devEnvKeys, EXIT } from '../context.js';

// Loaded on use: the worker SDK (native core, bundler) takes ~2 s to import, which every other
// command would otherwise pay.
const workerModule = () => import('../../workers/main.js');

/** The dev stack keeps one generated key so stored credentials stay readable across restarts. */
function devSecretKey(home: string): string {
  const file = path.join(home, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export function registerServiceCommands(program: Command): void {
  program
    .command('worker')
    .description('run a worker against existing Temporal and Postgres (TEMPORAL_ADDRESS, DATABASE_URL, ...)')
    .option('--role <role>', 'all | workflows | activities (default: DOCSYNC_WORKER_ROLE, else all)')
    .action(async (flags: { role?: string }) => (await workerModule()).runWorker(process.env, flags.role ? ['--role', flags.role] : []));
  program
    .command('dev')
    .description('run Temporal (with Web UI), Postgres and a worker locally; Ctrl-C stops everything cleanly')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .action(async (flags: { uiPort: string; port: string }) => {
      // Settings read from the last run's dev.env point at services that are gone: start fresh ones.
      for (const key of devEnvKeys) delete process.env[key];
      const [{ startPostgres }, { startTemporal }] = await Promise.all([
        import('../../devstack/postgres.js'),
        import('../../devstack/temporal.js'),
      ]);
      const home = path.dirname(DEV_ENV_FILE);
      mkdirSync(home, { recursive: true });
      const temporal = await startTemporal({
        ui: true,
        dbFile: path.join(home, 'temporal.db'),
        port: Number(flags.port),
        uiPort: Number(flags.uiPort),
      });
      const postgres = await startPostgres({ dataDir: path.join(home, 'pgdata') }).catch(async (err: unknown) => {
        await temporal.stop(); // else the server keeps this process (and the port) alive after the error
        if (!/Permission denied/.test((err as Error).message)) throw err;
        // As root, Postgres runs as the `postgres` user, which must be able to reach the data dir.
        throw new CliError(
          `the postgres user cannot reach ${path.join(home, 'pgdata')}: make ${home} and its parent folders world-searchable (chmod o+x) or set DOCSYNC_HOME to such a folder`,
          EXIT.config,
        );
      });
      const env = {
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        DATABASE_URL: postgres.url,
        DOCSYNC_SECRET_KEY: process.env.DOCSYNC_SECRET_KEY ?? devSecretKey(home),
        DOCSYNC_BLOB_DIR: path.join(home, 'blobs'),
      };
      writeFileSync(
        DEV_ENV_FILE,
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n') + '\n',
        { mode: 0o600 },
      );
      Object.assign(process.env, env);
      console.log(`Temporal Web UI: ${temporal.uiUrl}`);
      console.log(`Temporal:        ${temporal.address} (namespace ${temporal.namespace})`);
      console.log(`Postgres:        ${postgres.url}`);
      if (process.env.DOCSYNC_METRICS_PORT !== '0')
        console.log(`Worker metrics:  http://127.0.0.1:${process.env.DOCSYNC_METRICS_PORT ?? 9464}/metrics`);
      console.log(`Settings for other shells are in ${DEV_ENV_FILE} (the docsync CLI reads it). Ctrl-C stops everything.`);
      process.env.DOCSYNC_METRICS_HOST ??= '127.0.0.1'; // dev metrics are for this machine only
      try {
        await (await workerModule()).runWorker(); // returns after SIGINT/SIGTERM once in-flight work drained
      } finally {
        await postgres.stop();
        await temporal.stop();
      }
    });
}
