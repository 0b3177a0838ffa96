// The test services themselves: the shared Postgres and Temporal from global-setup, and the
// Postgres start/restart/stop lifecycle on a private instance (the shared one must not restart
// under other test files).
import fs from 'node:fs';
import pg from 'pg';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, startPostgres, type PostgresHandle } from '../src/devstack/postgres.js';
import { DOCSYNC_SEARCH_ATTRIBUTES } from '../src/devstack/temporal.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('shared Postgres (global setup)', () => {
  it('creates a database that accepts queries, and recreates it empty', async () => {
    const url = await createDatabase(inject('databaseUrl'), `t_services_${process.pid}`);
    expect(new URL(url).pathname).toBe(`/t_services_${process.pid}`);
    const [row] = await query<{ db: string; sum: number }>(url, 'SELECT current_database() AS db, 1 + 1 AS sum');
    expect(row).toEqual({ db: `t_services_${process.pid}`, sum: 2 });

    await query(url, 'CREATE TABLE leftover (x int)');
    const again = await createDatabase(inject('databaseUrl'), `t_services_${process.pid}`);
    const tables = await query(again, "SELECT 1 FROM pg_tables WHERE tablename = 'leftover'");
    expect(tables).toHaveLength(0);
  });

  it('rejects database names that would need quoting', async () => {
    await expect(createDatabase(inject('databaseUrl'), 'bad"name')).rejects.toThrow(/invalid database name/);
  });
});

// DATABASE_URL makes startPostgres reuse an external server, whose stop/restart are no-ops.
describe.skipIf(Boolean(process.env.DATABASE_URL))('private Postgres lifecycle', () => {
  let server: PostgresHandle;

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps data across restart(), on the same port, with a new postmaster', async () => {
    const url = await createDatabase(server.url, 'restart_check');
    await query(url, 'CREATE TABLE kept (note text)');
    await query(url, 'INSERT INTO kept VALUES ($1)', ['survives restart']);
    const before = server.pid();
    expect(before).toBeTypeOf('number');

    await server.restart();

    expect(server.pid()).toBeTypeOf('number');
    expect(server.pid()).not.toBe(before);
    expect(fs.existsSync(`/proc/${before}`)).toBe(false);
    const rows = await query<{ note: string }>(url, 'SELECT note FROM kept');
    expect(rows).toEqual([{ note: 'survives restart' }]);
  });

  it('stop() ends the server process and frees the port', async () => {
    const pid = server.pid();
    await server.stop();
    expect(server.pid()).toBeUndefined();
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('shared Temporal dev server (global setup)', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('answers getSystemInfo', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('has the four Docsync search attributes in the namespace', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: inject('temporalNamespace'),
    });
    const keyword = encodeSearchAttributeIndexedValueType('KEYWORD');
    const datetime = encodeSearchAttributeIndexedValueType('DATETIME');
    const docsync = Object.fromEntries(Object.entries(customAttributes ?? {}).filter(([name]) => name.startsWith('Docsync')));
    expect(docsync).toEqual({
      DocsyncConnector: keyword,
      DocsyncUser: keyword,
      DocsyncPhase: keyword,
      DocsyncNextSyncAt: datetime,
    });
    expect(Object.keys(docsync).sort()).toEqual(Object.keys(DOCSYNC_SEARCH_ATTRIBUTES).sort());
  });
});
