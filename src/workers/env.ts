// Worker settings from the environment, validated with zod so a bad value names its variable, and
// the engine options they make.
import type { Logger } from 'pino';
import { z } from 'zod';
import { appQuotasSchema } from '../connectors/shared/app-quota.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/types.js';
import type { EngineOptions } from './engine.js';
import type { DocsyncMetrics } from './metrics.js';
import { payloadCodecFromEnv } from './payload-codec.js';
import { workerRoleSchema } from './roles.js';
import { loadTemporalSettings, type TemporalSettings } from './temporal-connection.js';

const envSchema = z.object({
  DOCSYNC_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  /** all | workflows | activities (README "Worker roles and sizing"); `--role` on the command line wins. */
  DOCSYNC_WORKER_ROLE: workerRoleSchema,
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://user@host:port/db)'),
  /** Postgres schema for docsync's tables (created if missing); unset: the database's default (public). */
  DOCSYNC_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case Postgres identifier (letters, digits, _)')
    .optional(),
  DOCSYNC_BLOB_DIR: z.string().default('.docsync/blobs'),
  DOCSYNC_SECRET_KEY: z.string().optional(),
  DOCSYNC_MAX_BYTES: z.coerce.number().int().positive().optional(),
  DOCSYNC_MAX_TEXT_BYTES: z.coerce.number().int().positive().optional(),
  DOCSYNC_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(20),
  /** Sticky workflow cache of the worker: bounds its memory with many users (evicted syncs replay when they wake). */
  DOCSYNC_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(250),
  DOCSYNC_DB_POOL_MAX: z.coerce.number().int().positive().default(10),
  TIKA_URL: z.string().url().optional(),
  /** Pre-built workflow bundle (bundleWorkflowCode output): skips bundling at start, which costs ~300 MB of peak RSS. */
  DOCSYNC_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** /metrics, /healthz, /readyz; 0 disables the listener. */
  DOCSYNC_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Where the Temporal SDK core serves its own Prometheus metrics (re-exported on /metrics). */
  DOCSYNC_CORE_METRICS_ADDRESS: z.string().default('127.0.0.1:9465'),
  /** Per-connector app budgets as JSON, e.g. {"dropbox":{"perSecond":50}}; unset = no app limit. */
  DOCSYNC_APP_QUOTAS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON (${(err as Error).message})` });
        return z.NEVER;
      }
      const parsed = appQuotasSchema.safeParse(json);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.')}: ${issue.message}` });
      return z.NEVER;
    }),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

/** TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE are what the envconfig loader resolved (env, profile or default). */
export type WorkerEnv = z.infer<typeof envSchema> & { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string; temporal: TemporalSettings };

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) {
    const temporal = loadTemporalSettings(env);
    return { ...parsed.data, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, temporal };
  }
  const fields = parsed.error.issues.map((i) => i.path.join('.'));
  const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ConfigError(`invalid worker environment: ${detail}`, fields);
}

/** The engine a worker process runs, from its environment. */
export function engineOptionsFromEnv(
  env: WorkerEnv,
  environment: NodeJS.ProcessEnv,
  parts: { logger: Logger; metrics: DocsyncMetrics },
): EngineOptions {
  const exportMetrics = env.DOCSYNC_METRICS_PORT > 0;
  return {
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DOCSYNC_DB_SCHEMA,
    poolMax: env.DOCSYNC_DB_POOL_MAX,
    address: env.temporal.address,
    connection: { tls: env.temporal.connect.tls, apiKey: env.temporal.connect.apiKey, metadata: env.temporal.connect.metadata },
    namespace: env.temporal.namespace,
    taskQueue: env.DOCSYNC_TASK_QUEUE,
    blobDir: env.DOCSYNC_BLOB_DIR,
    logger: parts.logger,
    secretKey: env.DOCSYNC_SECRET_KEY,
    appQuotas: env.DOCSYNC_APP_QUOTAS,
    workflowBundle: env.DOCSYNC_WORKFLOW_BUNDLE ? { codePath: env.DOCSYNC_WORKFLOW_BUNDLE } : undefined,
    payloadCodec: payloadCodecFromEnv(environment),
    runtime: { logLevel: 'WARN', prometheusBindAddress: exportMetrics ? env.DOCSYNC_CORE_METRICS_ADDRESS : undefined },
    worker: {
      role: env.DOCSYNC_WORKER_ROLE,
      limits: { maxBytes: env.DOCSYNC_MAX_BYTES, maxTextBytes: env.DOCSYNC_MAX_TEXT_BYTES },
      tikaUrl: env.TIKA_URL,
      maxConcurrentActivityTaskExecutions: env.DOCSYNC_MAX_CONCURRENT_ACTIVITIES,
      maxCachedWorkflows: env.DOCSYNC_MAX_CACHED_WORKFLOWS,
      metrics: parts.metrics,
    },
  };
}
