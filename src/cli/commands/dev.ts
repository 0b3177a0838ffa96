// `docsync dev`: Temporal (with Web UI), Postgres and a worker in one process tree. Startup either
// completes or exits non-zero within seconds with the reason, having stopped what it started; ports
// held by another process are refused before anything starts (never someone else's Temporal); SIGINT
// and SIGTERM stop everything at any moment: during startup at once, afterwards once the worker drained.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, DEV_ENV_FILE, devEnvKeys, EXIT } from '../context.js';

// Loaded on use: the worker SDK (native core, bundler) takes ~2 s to import.
const workerModule = () => import('../../workers/main.js');

/** The dev stack keeps one generated key so stored credentials stay readable across restarts. */
function devSecretKey(home: string): string {
  const file = path.join(home, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** `--port 0` asks for a free port; anything else must be a valid TCP port. */
function portFlag(value: string, flag: string): number | undefined {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`${flag} must be a port number (0 picks a free one)`, EXIT.usage);
  return port === 0 ? undefined : port;
}

/**
 * Refuses ports held by another process before anything starts. A second `docsync dev` (another
 * folder, another user) keeps its Temporal on 7233: attaching to it would mix two stacks' workflows.
 */
async function refuseHeldPorts(wanted: Array<{ port: number | undefined; what: string }>): Promise<void> {
  const { canBind, describePortHolder } = await import('../../devstack/ports.js');
  for (const { port, what } of wanted) {
    if (port === undefined || (await canBind(port))) continue;
    const holder = describePortHolder(port);
    throw new CliError(
      `port ${port} (${what}) is already in use${holder ? ` by ${holder}` : ''}; another \`docsync dev\` or Temporal may be running: ` +
        'stop it, or choose other ports (--port, --ui-port, DOCSYNC_METRICS_PORT; 0 picks free ones)',
      EXIT.config,
    );
  }
}

type Phase = 'starting' | 'running' | 'stopping';

/**
 * SIGINT/SIGTERM/SIGHUP during startup: exit now (the devstack's exit handler stops every service
 * it launched, even one still booting). Once the worker runs: let it drain (the Temporal runtime
 * shuts it down on SIGINT/SIGTERM), then the services stop in order; a second signal exits at once.
 */
function handleSignals(phase: () => Phase, setPhase: (p: Phase) => void): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = 128 + (osConstants.signals[signal] ?? 1);
    if (phase() === 'running' && signal !== 'SIGHUP') {
      setPhase('stopping');
      console.error(`docsync dev: ${signal}: draining the worker, then stopping Temporal and Postgres (again to force)`);
      return;
    }
    console.error(`docsync dev: ${signal} ${phase() === 'starting' ? 'during startup' : 'again'}: stopping everything`);
    process.exit(code);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  return () => signals.forEach((s) => process.off(s, onSignal));
}

async function runDev(flags: { uiPort: string; port: string }): Promise<void> {
  // Settings read from the last run's dev.env point at services that are gone: start fresh ones.
  for (const key of devEnvKeys) delete process.env[key];
  const port = portFlag(flags.port, '--port');
  const uiPort = portFlag(flags.uiPort, '--ui-port');
  const [{ startPostgres, postgresBinDir }, { startTemporal, temporalCliPath }, { leaveSignalsToCaller }] = await Promise.all([
    import('../../devstack/postgres.js'),
    import('../../devstack/temporal.js'),
    import('../../devstack/process.js'),
  ]);
  let phase: Phase = 'starting';
  leaveSignalsToCaller();
  const releaseSignals = handleSignals(
    () => phase,
    (p) => (phase = p),
  );
  try {
    // Missing binaries and held ports fail before anything is started.
    try {
      temporalCliPath();
      postgresBinDir();
    } catch (err) {
      throw new CliError((err as Error).message, EXIT.config);
    }
    const metricsPort = process.env.DOCSYNC_METRICS_PORT ?? '9464';
    const corePort = /:(\d+)$/.exec(process.env.DOCSYNC_CORE_METRICS_ADDRESS ?? '127.0.0.1:9465')?.[1];
    const metrics =
      metricsPort === '0'
        ? []
        : [
            { port: portFlag(metricsPort, 'DOCSYNC_METRICS_PORT'), what: 'worker metrics, DOCSYNC_METRICS_PORT' },
            { port: corePort ? Number(corePort) : undefined, what: 'SDK core metrics, DOCSYNC_CORE_METRICS_ADDRESS' },
          ];
    await refuseHeldPorts([{ port, what: 'Temporal gRPC, --port' }, { port: uiPort, what: 'Temporal Web UI, --ui-port' }, ...metrics]);

    const home = path.dirname(DEV_ENV_FILE);
    mkdirSync(home, { recursive: true });
    const pgData = path.join(home, 'pgdata');
    // Side by side: Postgres' initdb and Temporal's boot are both seconds; a failure of either stops the other.
    const [temporalResult, postgresResult] = await Promise.allSettled([
      startTemporal({ ui: true, dbFile: path.join(home, 'temporal.db'), port, uiPort }),
      startPostgres({ dataDir: pgData }),
    ]);
    if (temporalResult.status === 'rejected' || postgresResult.status === 'rejected') {
      if (temporalResult.status === 'fulfilled') await temporalResult.value.stop();
      if (postgresResult.status === 'fulfilled') await postgresResult.value.stop();
      const err = (
        temporalResult.status === 'rejected' ? temporalResult.reason : (postgresResult as PromiseRejectedResult).reason
      ) as Error;
      // As root, Postgres runs as the `postgres` user, which must be able to reach the data dir.
      if (temporalResult.status === 'fulfilled' && /Permission denied/.test(err.message)) {
        throw new CliError(
          `the postgres user cannot reach ${pgData}: make ${home} and its parent folders world-searchable (chmod o+x) or set DOCSYNC_HOME to such a folder`,
          EXIT.config,
        );
      }
      throw err;
    }
    const temporal = temporalResult.value;
    const postgres = postgresResult.value;
    try {
      const env = {
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        DATABASE_URL: postgres.url,
        DOCSYNC_SECRET_KEY: process.env.DOCSYNC_SECRET_KEY ?? devSecretKey(home),
        DOCSYNC_BLOB_DIR: path.join(home, 'blobs'),
      };
      const envLines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      writeFileSync(DEV_ENV_FILE, envLines.join('\n') + '\n', { mode: 0o600 });
      Object.assign(process.env, env);
      console.log(`Temporal Web UI: ${temporal.uiUrl}`);
      console.log(`Temporal:        ${temporal.address} (namespace ${temporal.namespace})`);
      console.log(`Postgres:        ${postgres.url}`);
      if (metricsPort !== '0') console.log(`Worker metrics:  http://127.0.0.1:${metricsPort}/metrics`);
      console.log(`Settings for other shells are in ${DEV_ENV_FILE} (the docsync CLI reads it). Ctrl-C stops everything.`);
      process.env.DOCSYNC_METRICS_HOST ??= '127.0.0.1'; // dev metrics are for this machine only
      // Returns after SIGINT/SIGTERM once in-flight work drained, or throws a startup error.
      await (await workerModule()).runWorker(process.env, [], { onStarted: () => phase === 'starting' && (phase = 'running') });
    } finally {
      await postgres.stop();
      await temporal.stop();
    }
  } finally {
    releaseSignals(); // the CLI exits within seconds of the command ending, whatever handle is left (cli/main.ts)
  }
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run Temporal (with Web UI), Postgres and a worker locally; Ctrl-C or SIGTERM stops everything cleanly')
    .option('--ui-port <port>', 'Web UI port (0: a free one)', '8233')
    .option('--port <port>', 'Temporal gRPC port (0: a free one)', '7233')
    .action(runDev);
}
