// The conformance kit's engine on real services, for plugin authors and our own suites: a worker
// in this process, Postgres for the documents, and the Temporal client that drives the syncs.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { pino } from 'pino';
import type { ConformanceEngine, ConformanceSync } from './kit.js';
import { registerConnector, type ConnectorFactory } from '../connectors/registry.js';
import type { CredentialStore } from '../store/credentials.js';
import { listDocuments } from '../store/documents.js';
import { querySyncStatus, signalSync, startSyncUser } from '../workflows/client.js';
import { createEngine } from '../workers/engine.js';

/** What a conformance engine needs: where syncs start, and where their documents land. */
export interface EngineParts {
  client: Client;
  taskQueue: string;
  pool: Pool;
  credentials: CredentialStore;
}

export function conformanceEngine(parts: EngineParts): ConformanceEngine {
  return {
    async startSync(input) {
      const handle = await startSyncUser(parts.client, input, { taskQueue: parts.taskQueue });
      const sync: ConformanceSync = {
        status: () => querySyncStatus(handle),
        signal: (name) => signalSync(handle, name),
        async result() {
          try {
            return await handle.result();
          } catch (err) {
            const cause = err instanceof WorkflowFailedError ? err.cause : err;
            if (cause instanceof ApplicationFailure) throw { type: cause.type, message: cause.message };
            throw err;
          }
        },
      };
      return sync;
    },
    saveCredentials: (connector, userId, secrets) => parts.credentials.save(connector, userId, secrets),
    async documents(connector, userId) {
      const rows = await listDocuments(parts.pool, { connector, userId, withText: true });
      return rows.map((r) => ({
        externalId: r.external_id,
        title: r.title,
        path: r.path,
        status: r.status,
        text: r.text,
        error: r.error,
        deleted: r.deleted_at !== null,
      }));
    },
  };
}

export interface ConformanceEnvOptions {
  /** Connectors to register by name before the worker starts (a plugin under test). */
  connectors?: Record<string, ConnectorFactory>;
  /** Existing Temporal (default: TEMPORAL_ADDRESS, else a dev server is started and stopped). */
  temporalAddress?: string;
  namespace?: string;
  /** Existing database (default: DATABASE_URL, else a throwaway Postgres cluster). */
  databaseUrl?: string;
}

export interface ConformanceEnv {
  engine: ConformanceEngine;
  close(): Promise<void>;
}

/**
 * Everything the kit needs in one call: `defineConformanceSuite(runner, fixture, () => env.engine)`.
 * Services come from the environment when set, so CI can share one Temporal and one Postgres.
 */
export async function startConformanceEnv(options: ConformanceEnvOptions = {}): Promise<ConformanceEnv> {
  for (const [name, factory] of Object.entries(options.connectors ?? {})) registerConnector(name, factory);
  const stops: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const postgres = await (await import('../devstack/postgres.js')).startPostgres(); // honours DATABASE_URL
      stops.push(postgres.stop);
      databaseUrl = postgres.url;
    }
    let address = options.temporalAddress ?? process.env.TEMPORAL_ADDRESS ?? '';
    let namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
    if (!address) {
      const temporal = await (await import('../devstack/temporal.js')).startTemporal();
      stops.push(temporal.stop);
      ({ address, namespace } = temporal);
    }
    const engine = await createEngine({
      databaseUrl,
      address,
      namespace,
      taskQueue: `docsync-conformance-${Date.now().toString(36)}`,
      blobDir: mkdtempSync(path.join(os.tmpdir(), 'docsync-conformance-blobs-')),
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      // A random key per run: the kit stores and reads credentials within the same run only.
      secretKey: `conformance-${process.pid}-${Date.now()}`,
      worker: { shutdownGraceTime: '5 seconds' },
    });
    stops.push(() => engine.close());
    await engine.startWorker();
    return { engine: conformanceEngine(engine), close };
  } catch (err) {
    await close();
    throw err;
  }
}
