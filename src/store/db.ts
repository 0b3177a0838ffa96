// Postgres connection pool and a transaction helper shared by every store module.
import pg from 'pg';
import { ConfigError } from '../core/errors.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A Postgres schema name docsync may create and put its tables in (DOCSYNC_DB_SCHEMA). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `DOCSYNC_DB_SCHEMA must be a lower-case Postgres identifier (letters, digits, _; not starting with a digit), got ${JSON.stringify(schema)}`,
      ['DOCSYNC_DB_SCHEMA'],
    );
  }
  return schema;
}

/**
 * `schema`: docsync's tables live in that Postgres schema (created by migrate) instead of the
 * database's default search path (`public`), so they sit beside the user's own tables.
 */
export function createPool(connectionString: string, max = 10, schema?: string): pg.Pool {
  const options = schema ? `-c search_path=${checkSchemaName(schema)}` : undefined;
  const pool = new pg.Pool({ connectionString, max, ...(options ? { options } : {}) });
  // An idle client losing its server (Postgres restart) must not crash the worker.
  pool.on('error', () => undefined);
  return pool;
}

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A server restart emits 'error' on a checked-out client too (the pool's listener only covers idle
  // ones); unheard, it crashes the worker. The failing query reports the same error to the caller.
  const ignore = () => undefined;
  client.on('error', ignore);
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', ignore);
    client.release(failed); // a client that failed is discarded rather than reused half-broken
  }
}
