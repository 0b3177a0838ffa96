// Shared CLI plumbing: settings from the environment (and .docsync/dev.env written by
// `docsync dev`), lazily opened Temporal and Postgres connections, and errors with exit codes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { ConfigError } from '../core/errors.js';
import { createPool } from '../store/db.js';
import { CredentialStore, secretKeyFrom } from '../store/credentials.js';
import { migrate } from '../store/migrate.js';
import { payloadCodecFromEnv } from '../workers/payload-codec.js';
import { explainConnectionFailure, loadTemporalSettings, type TemporalSettings } from '../workers/temporal-connection.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/types.js';

export const EXIT = { usage: 2, config: 2, unreachable: 3, notFound: 4, failed: 1 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export const DEV_ENV_FILE = path.resolve(process.env.DOCSYNC_HOME ?? '.docsync', 'dev.env');

/** Names loadDevEnv filled in: `docsync dev` drops them, they describe the previous dev stack. */
export const devEnvKeys = new Set<string>();

/** Variables from .docsync/dev.env fill in what the environment does not set. */
export function loadDevEnv(file = DEV_ENV_FILE): void {
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]] === undefined) {
      process.env[match[1]] = match[2];
      devEnvKeys.add(match[1]);
    }
  }
}

export interface CliSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  temporal: TemporalSettings;
}

/** Temporal settings come from the shared envconfig loader (env, TEMPORAL_PROFILE, the CLI's TOML file). */
export function settings(): CliSettings {
  let temporal: TemporalSettings;
  try {
    temporal = loadTemporalSettings(process.env);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.config);
  }
  return {
    address: temporal.address,
    namespace: temporal.namespace,
    taskQueue: process.env.DOCSYNC_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    temporal,
  };
}

let clientPromise: Promise<{ client: Client; connection: Connection }> | undefined;
let pool: Pool | undefined;

async function connected(): Promise<{ client: Client; connection: Connection }> {
  const { namespace, temporal } = settings();
  clientPromise ??= (async () => {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ ...temporal.connect, connectTimeout: 10_000 });
      // The first call proves the credentials: a TLS/API-key refusal surfaces here, not at connect.
      await connection.workflowService.getSystemInfo({});
      const codec = payloadCodecFromEnv();
      return { connection, client: new Client({ connection, namespace, dataConverter: codec ? { payloadCodecs: [codec] } : undefined }) };
    } catch (err) {
      await connection?.close().catch(() => undefined);
      throw new CliError(await explainConnectionFailure(err, temporal), EXIT.unreachable);
    }
  })();
  return clientPromise;
}

export async function temporalClient(): Promise<Client> {
  return (await connected()).client;
}

/** The raw connection, for the operator service (`docsync setup`). */
export async function temporalConnection(): Promise<Connection> {
  return (await connected()).connection;
}

export async function database(): Promise<Pool> {
  if (pool) return pool;
  const url = process.env.DATABASE_URL;
  if (!url) throw new CliError('DATABASE_URL is not set (postgres://user@host:port/db), and no `docsync dev` is running', EXIT.config);
  try {
    pool = createPool(url, 4, process.env.DOCSYNC_DB_SCHEMA || undefined);
    await migrate(pool);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
    throw new CliError(`cannot use the database at DATABASE_URL: ${(err as Error).message}`, EXIT.unreachable);
  }
  return pool;
}

export async function credentialStore(): Promise<CredentialStore> {
  let key: Buffer;
  try {
    key = secretKeyFrom(process.env.DOCSYNC_SECRET_KEY);
  } catch (err) {
    throw new CliError(`${(err as Error).message}; generate one with: openssl rand -hex 32`, EXIT.config);
  }
  return new CredentialStore(await database(), key);
}

export async function closeAll(): Promise<void> {
  if (clientPromise) await (await clientPromise.catch(() => undefined))?.connection.close();
  if (pool) await pool.end();
  clientPromise = undefined;
  pool = undefined;
}
