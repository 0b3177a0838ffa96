// Worker entry point: `npm run worker [-- --role workflows]` / `docsync worker --role …`. Reads env, builds
// the engine (which migrates the database), serves metrics and health (DOCSYNC_METRICS_HOST, default
// 0.0.0.0), runs until SIGINT/SIGTERM, then drains and exits. The role (DOCSYNC_WORKER_ROLE, roles.ts)
// decides what it polls and therefore what it imports.
import { pino } from 'pino';
import { createEngine } from './engine.js';
import { engineOptionsFromEnv, readWorkerEnv } from './env.js';
import { createMetrics, registerFleetGauges, startHealthServer } from './metrics.js';
import { withRoleFlag } from './roles.js';
import { installRuntimeOnce } from './runtime.js';
import { explainConnectionFailure, TemporalConnectFailure } from './temporal-connection.js';
import { missingSearchAttributes, missingSearchAttributesMessage } from './search-attributes.js';

export interface RunWorkerHooks {
  /** Called once the worker polls (`docsync dev`: from then on a signal drains instead of aborting). */
  onStarted?(): void;
}

/** `argv`: the worker's own arguments (`--role x` overrides DOCSYNC_WORKER_ROLE). */
export async function runWorker(
  environment: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = [],
  hooks: RunWorkerHooks = {},
): Promise<void> {
  environment = withRoleFlag(environment, argv);
  const env = readWorkerEnv(environment);
  const logger = pino({ level: env.LOG_LEVEL, base: { service: 'docsync-worker' } });
  const metrics = createMetrics();
  const options = engineOptionsFromEnv(env, environment, { logger, metrics });
  // Before the engine installs a default runtime: the SDK's and core's logs become pino lines too.
  installRuntimeOnce(options.runtime?.logLevel, options.runtime?.prometheusBindAddress, logger);
  const engine = await createEngine(options).catch(async (err: unknown) => {
    // One line naming what was refused (certificate, API key, address), not the SDK's raw error.
    if (err instanceof TemporalConnectFailure) throw new Error(await explainConnectionFailure(err.cause, env.temporal), { cause: err });
    throw err;
  });
  if (engine.applied.length) logger.info({ applied: engine.applied }, 'migrations applied');
  registerFleetGauges(metrics, { client: engine.client, taskQueue: env.DOCSYNC_TASK_QUEUE, db: engine.pool });
  // Syncs with search attributes would fail their workflow tasks on such a namespace: say how to fix it.
  const missing = await missingSearchAttributes(engine.client.connection, env.TEMPORAL_NAMESPACE).catch(() => []);
  if (missing.length) logger.warn(missingSearchAttributesMessage(env.TEMPORAL_NAMESPACE, missing));
  try {
    const { worker, done } = await engine.startWorker();
    const health =
      env.DOCSYNC_METRICS_PORT > 0
        ? await startHealthServer({
            port: env.DOCSYNC_METRICS_PORT,
            host: environment.DOCSYNC_METRICS_HOST || '0.0.0.0',
            metrics,
            // Probed on each /readyz: a worker that polls but cannot reach its database fails every sync.
            checks: {
              worker: async () => {
                if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
              },
              postgres: () => engine.pool.query('SELECT 1'),
              temporal: () =>
                engine.client.connection.withDeadline(Date.now() + 2_000, () => engine.client.connection.workflowService.getSystemInfo({})),
            },
            coreMetricsUrl: `http://${env.DOCSYNC_CORE_METRICS_ADDRESS}/metrics`,
          })
        : undefined;
    if (health) logger.info({ url: `${health.url}/metrics` }, 'metrics and health endpoints listening');
    // DOCSYNC_WEBHOOKS_PORT set: this worker also runs the webhook receiver (else `docsync webhooks` does).
    // Imported only then: its routes load verification libraries (google-auth-library) no role needs.
    const webhooks = environment.DOCSYNC_WEBHOOKS_PORT
      ? await import('../webhooks/receiver.js').then(({ receiverListen, startReceiver }) =>
          startReceiver({ ...receiverListen(environment), pool: engine.pool, client: engine.client, logger, env: environment }),
        )
      : undefined;
    if (webhooks) logger.info({ url: webhooks.url, routes: webhooks.routes }, 'webhook receiver listening');
    logger.info(
      {
        role: env.DOCSYNC_WORKER_ROLE,
        address: env.TEMPORAL_ADDRESS,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue: env.DOCSYNC_TASK_QUEUE,
      },
      'worker started',
    );
    hooks.onStarted?.();
    await done.finally(() => Promise.all([health?.close(), webhooks?.close()])); // resolves after SIGINT/SIGTERM once in-flight tasks drained
  } finally {
    await engine.close();
    logger.info('worker stopped');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker(process.env, process.argv.slice(2)).catch((err) => {
    console.error(`docsync worker failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
