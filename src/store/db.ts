// Postgres connection pool and a transaction helper shared by every store module.
import pg from 'pg';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
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
