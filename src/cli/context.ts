// Shared CLI plumbing: settings from the environment (and .docsync/dev.env written by
// `docsync dev`), lazily opened Temporal and Postgres connections, and errors with exit codes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { createPool } from '../store/db.js';
import { CredentialStore, secretKeyFrom } from '../store/credentials.js';
import { migrate } from '../store/migrate.js';
import { payloadCodecFromEnv } from '../workers/payload-codec.js';
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
}

export function settings(): CliSettings {
  return {
    address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: process.env.DOCSYNC_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
  };
}

let clientPromise: Promise<{ client: Client; connection: Connection }> | undefined;
let pool: Pool | undefined;

export async function temporalClient(): Promise<Client> {
  const { address, namespace } = settings();
  clientPromise ??= (async () => {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 5_000 });
      await connection.workflowService.getSystemInfo({});
      const codec = payloadCodecFromEnv();
      return { connection, client: new Client({ connection, namespace, dataConverter: codec ? { payloadCodecs: [codec] } : undefined }) };
    } catch (err) {
      throw new CliError(
        `cannot reach Temporal at ${address} (${(err as Error).message.split('\n')[0]}): start it (docsync dev) or set TEMPORAL_ADDRESS`,
        EXIT.unreachable,
      );
    }
  })();
  return (await clientPromise).client;
}

export async function database(): Promise<Pool> {
  if (pool) return pool;
  const url = process.env.DATABASE_URL;
  if (!url) throw new CliError('DATABASE_URL is not set (postgres://user@host:port/db), and no `docsync dev` is running', EXIT.config);
  pool = createPool(url, 4);
  try {
    await migrate(pool);
  } catch (err) {
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
