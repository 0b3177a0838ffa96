// The change feed (`changes` table): the one writer (lock, append, SQL fragments for writes that
// append in the same statement) and the typed readers downstream consumers follow by `seq`.
import type pg from 'pg';
import type { DocKey } from '../core/refs.js';
import { ConfigError } from '../core/errors.js';
import { inTransaction, type Queryable } from './db.js';

export type ChangeKind = 'upsert' | 'delete' | 'content';

/** Any constant: the advisory lock key of the change feed. */
const CHANGE_FEED_LOCK = 0x646f6373;

/**
 * Taken first by every transaction that writes `changes`, held until it commits: change rows then
 * commit in `seq` order, so a consumer that keeps max(seq) as its cursor never skips a row that was
 * still uncommitted when it read. (Taking it first, before any row lock, keeps it deadlock-free.)
 */
export async function lockChangeFeed(client: Queryable): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [CHANGE_FEED_LOCK]);
}

/** A transaction of its own for a write that appends to the feed: the lock comes first, as always. */
export function inChangeFeedTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await lockChangeFeed(client);
    return work(client);
  });
}

export interface NewChange {
  externalId: string;
  kind: ChangeKind;
  version: string | null;
}

/**
 * Appends one row per change, in array order (seqs ascend with it). The caller's transaction must
 * already hold `lockChangeFeed`. Returns each row's seq.
 */
export async function appendChanges(client: Queryable, key: DocKey, changes: NewChange[]): Promise<{ seq: string; externalId: string }[]> {
  if (changes.length === 0) return [];
  const result = await client.query<{ seq: string; external_id: string }>(
    `INSERT INTO changes (connector, user_id, external_id, kind, version)
     SELECT $1, $2, id, k, v FROM unnest($3::text[], $4::text[], $5::text[]) AS t(id, k, v)
     RETURNING seq, external_id`,
    [key.connector, key.userId, changes.map((c) => c.externalId), changes.map((c) => c.kind), changes.map((c) => c.version)],
  );
  return result.rows.map((r) => ({ seq: r.seq, externalId: r.external_id }));
}

export interface ChangeRowsFrom {
  /** A CTE of the same statement with an `external_id` column, e.g. the rows an UPDATE returned. */
  from: string;
  kind: ChangeKind;
  /** SQL for the version column: a column of `from` or a parameter. */
  version: string;
  /** Parameters holding the connector and user id (default $1 and $2). */
  connector?: string;
  userId?: string;
  /** Appends in this order, so seqs follow it. */
  orderBy?: string;
  returning: string;
}

/**
 * SQL that appends one change row per row of a CTE in the same statement, so the document write
 * and its change row commit (or retry) together: a write that matched nothing appends nothing.
 * As with `appendChanges`, the transaction must hold `lockChangeFeed` first.
 */
export function changeRowsFrom(spec: ChangeRowsFrom): string {
  return `INSERT INTO changes (connector, user_id, external_id, kind, version)
     SELECT ${spec.connector ?? '$1'}, ${spec.userId ?? '$2'}, external_id, '${spec.kind}', ${spec.version} FROM ${spec.from}
     ${spec.orderBy ? `ORDER BY ${spec.orderBy}` : ''}
     RETURNING ${spec.returning}`;
}

export interface Change {
  /** bigserial: kept as a decimal string, so no seq loses precision. */
  seq: string;
  connector: string;
  userId: string;
  externalId: string;
  kind: ChangeKind;
  version: string | null;
  at: Date;
}

export interface ChangeQuery {
  /** Rows with a seq greater than this (a consumer's cursor: the last seq it handled; 0 = from the start). */
  since: number | bigint | string;
  connector?: string;
  userId?: string;
  /** At most this many rows (default DEFAULT_CHANGES_PER_READ, capped at MAX_CHANGES_PER_READ). */
  limit?: number;
}

export const DEFAULT_CHANGES_PER_READ = 1000;
/** A reader that wants more continues from the last seq it got. */
export const MAX_CHANGES_PER_READ = 10_000;

function cursorOf(since: ChangeQuery['since']): string {
  const text = typeof since === 'string' ? since.trim() : String(since);
  const valid = typeof since === 'number' ? Number.isSafeInteger(since) && since >= 0 : /^\d+$/.test(text);
  if (!valid)
    throw new ConfigError(`change feed cursor "since" must be a whole number ≥ 0, got ${JSON.stringify(String(since))}`, ['since']);
  return BigInt(text).toString();
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_CHANGES_PER_READ;
  if (!Number.isInteger(limit) || limit <= 0)
    throw new ConfigError(`change feed "limit" must be a whole number > 0, got ${limit}`, ['limit']);
  return Math.min(limit, MAX_CHANGES_PER_READ);
}

/** The feed after `since`, in seq order (commit order, see lockChangeFeed). */
export async function readChanges(db: Queryable, query: ChangeQuery): Promise<Change[]> {
  const result = await db.query<{
    seq: string;
    connector: string;
    user_id: string;
    external_id: string;
    kind: ChangeKind;
    version: string | null;
    at: Date;
  }>(
    `SELECT seq, connector, user_id, external_id, kind, version, at FROM changes
      WHERE seq > $1 AND ($2::text IS NULL OR connector = $2) AND ($3::text IS NULL OR user_id = $3)
      ORDER BY seq LIMIT $4`,
    [cursorOf(query.since), query.connector ?? null, query.userId ?? null, limitOf(query.limit)],
  );
  return result.rows.map((r) => ({
    seq: r.seq,
    connector: r.connector,
    userId: r.user_id,
    externalId: r.external_id,
    kind: r.kind,
    version: r.version,
    at: r.at,
  }));
}

/** The newest seq in the whole feed ('0' when empty): a cursor that skips everything so far. */
export async function latestChangeSeq(db: Queryable): Promise<string> {
  const result = await db.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM changes');
  return result.rows[0]?.seq ?? '0';
}

export interface ChangeCount {
  externalId: string;
  kind: ChangeKind;
  version: string | null;
  count: number;
}

/** How many rows each (document, kind, version) has in a user's feed: more than 1 is a duplicate. */
export async function countChanges(db: Queryable, key: DocKey): Promise<ChangeCount[]> {
  const result = await db.query<{ external_id: string; kind: ChangeKind; version: string | null; n: string }>(
    `SELECT external_id, kind, version, count(*) AS n FROM changes WHERE connector = $1 AND user_id = $2
      GROUP BY external_id, kind, version`,
    [key.connector, key.userId],
  );
  return result.rows.map((r) => ({ externalId: r.external_id, kind: r.kind, version: r.version, count: Number(r.n) }));
}
