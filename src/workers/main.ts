// Worker entry point: `npm run worker` / `docsync worker`. Reads env, migrates the database,
// runs until SIGINT/SIGTERM, then drains in-flight activities and exits.
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { CredentialStore, secretKeyFrom } from '../store/credentials.js';
import { createPool } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { readWorkerEnv } from './env.js';
import { createMetrics, startHealthServer } from './metrics.js';
import { payloadCodecFromEnv } from './payload-codec.js';
import { installRuntimeOnce } from './runtime.js';
import { createDocsyncWorker } from './worker.js';

export async function runWorker(environment: NodeJS.ProcessEnv = process.env): Promise<void> {
  const env = readWorkerEnv(environment);
  const logger = pino({ level: env.LOG_LEVEL, base: { service: 'docsync-worker' } });
  const exportMetrics = env.DOCSYNC_METRICS_PORT > 0;
  installRuntimeOnce('WARN', exportMetrics ? env.DOCSYNC_CORE_METRICS_ADDRESS : undefined);
  const metrics = createMetrics();
  const pool = createPool(env.DATABASE_URL, env.DOCSYNC_DB_POOL_MAX);
  const applied = await migrate(pool);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const credentials = env.DOCSYNC_SECRET_KEY ? new CredentialStore(pool, secretKeyFrom(env.DOCSYNC_SECRET_KEY)) : undefined;
  const worker = await createDocsyncWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.DOCSYNC_TASK_QUEUE,
    pool,
    blobDir: env.DOCSYNC_BLOB_DIR,
    logger,
    credentials,
    limits: { maxBytes: env.DOCSYNC_MAX_BYTES, maxTextBytes: env.DOCSYNC_MAX_TEXT_BYTES },
    tikaUrl: env.TIKA_URL,
    maxConcurrentActivityTaskExecutions: env.DOCSYNC_MAX_CONCURRENT_ACTIVITIES,
    metrics,
    workflowBundle: env.DOCSYNC_WORKFLOW_BUNDLE ? { codePath: env.DOCSYNC_WORKFLOW_BUNDLE } : undefined,
    payloadCodec: payloadCodecFromEnv(environment),
  });
  const health = exportMetrics
    ? await startHealthServer({
        port: env.DOCSYNC_METRICS_PORT,
        metrics,
        isReady: () => worker.getState() === 'RUNNING',
        coreMetricsUrl: `http://${env.DOCSYNC_CORE_METRICS_ADDRESS}/metrics`,
      })
    : undefined;
  if (health) logger.info({ url: `${health.url}/metrics` }, 'metrics and health endpoints listening');
  logger.info({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.DOCSYNC_TASK_QUEUE }, 'worker started');
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM once in-flight tasks drained
  } finally {
    await health?.close();
    await connection.close();
    await pool.end();
    logger.info('worker stopped');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker().catch((err) => {
    console.error(`docsync worker failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
