// The change feed (`changes` table): the one writer (append, SQL fragments for writes that append
// in the same statement, no lock: seqs come from the writing transaction) and the typed readers
// downstream consumers follow by `seq`.
import type { DocKey } from '../core/refs.js';
import { ConfigError } from '../core/errors.js';
import type { Queryable } from './db.js';

export type ChangeKind = 'upsert' | 'delete' | 'content' | 'metadata';

/*
 * Ordering without a lock. A consumer keeps the last seq it handled as its cursor, so a row must
 * never become visible after a reader has returned a row with a greater seq. A bigserial cannot
 * give that: its numbers are drawn in call order, not commit order, and even "stop before the first
 * row written by a running transaction" fails (T1 gets its xid, T2 gets a larger xid and draws seq
 * 10, T1 draws 11 and commits: a reader whose oldest running transaction is T2 sees only 11, returns
 * it, and later skips 10). So seq is drawn from the writing transaction itself:
 *
 * (W) every change row has seq in [txid·B + 1, txid·B + B), B = SEQS_PER_TRANSACTION, where txid
 *     is its transaction's top-level id (`pg_current_xact_id()`, also stored in `txid`; the CHECK
 *     `changes_seq_in_txid_block` of migration 003 holds every row to it). seq order is txid order.
 * (X) for the snapshot S of a read, xmin = `pg_snapshot_xmin(pg_current_snapshot())`: every
 *     transaction with txid < xmin had ended (committed or rolled back) when S was taken; every
 *     transaction that may still commit has txid ≥ xmin (running ones by definition of xmin, later
 *     ones because ids are handed out in increasing order and were ≥ S's xmax). READABLE_BELOW
 *     refines xmin to the oldest running transaction that can write this table (see there).
 * readChanges returns, from S, the rows with since < seq < xmin·B in seq order. By (W) these are
 * exactly the rows with txid < xmin, all written by ended transactions (X), so the set of rows below
 * xmin·B is final when S is taken: it holds exactly the rows S sees there, and any row that commits
 * later has txid ≥ xmin, hence seq ≥ xmin·B > every seq returned. A cursor taken from a read
 * therefore never passes a row that becomes visible later. The bound and the rows come from the same
 * snapshot (pg_current_snapshot() is the statement's snapshot), which the proof needs: a later xmin
 * would admit transactions that committed after the rows were read.
 * Cost: a row is readable once every transaction older than its own has ended, not at its commit.
 * B = 2^22 rows per transaction leaves 2^41 transaction ids before seq leaves bigint.
 */
export const SEQS_PER_TRANSACTION = 4_194_304;
const TX_BLOCK = `(pg_current_xact_id()::text::bigint * ${SEQS_PER_TRANSACTION})`;
/** The last seq this transaction used (or its block's base): an InitPlan, read once per statement. */
const LAST_SEQ_OF_TX = `(SELECT coalesce(max(seq), ${TX_BLOCK}) FROM changes WHERE seq > ${TX_BLOCK} AND seq < ${TX_BLOCK} + ${SEQS_PER_TRANSACTION})`;
/**
 * The seq of the statement's n-th change row (n ≥ 1, SQL), to set on a document in the same statement
 * that appends its change row: every n of one statement is above what the transaction used so far.
 */
export const nthChangeSeqOfStatement = (n: string): string => `(${LAST_SEQ_OF_TX} + ${n})`;
/** The seq a statement writing exactly one change row gives it (to set on the document in the same statement). */
export const NEXT_SINGLE_CHANGE_SEQ = nthChangeSeqOfStatement('1');
/**
 * Readable rows end below the block of the oldest transaction that was running at the statement's
 * snapshot and may write here: (X) above. The snapshot's own list of running ids (xip) is used, not
 * just its xmin, so that transactions of other databases of the cluster (Temporal's, other tenants')
 * do not hold the feed back: an id is left out only while pg_stat_activity shows it running in a
 * session of another database (or none), which cannot write this table; an id no longer shown
 * (it ended since the snapshot, or its details are hidden from this role) is kept, so leaving one out
 * is always safe. The reader's own transaction counts too.
 */
const READABLE_BELOW = `(SELECT least(coalesce(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
                               pg_current_xact_id_if_assigned()::text::bigint) * ${SEQS_PER_TRANSACTION}
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
   WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = x::xid AND a.datname IS DISTINCT FROM current_database()))`;

export interface NewChange {
  externalId: string;
  kind: ChangeKind;
  version: string | null;
}

/** Appends one row per change, in array order (seqs ascend with it), in the caller's transaction. Returns each row's seq. */
export async function appendChanges(client: Queryable, key: DocKey, changes: NewChange[]): Promise<{ seq: string; externalId: string }[]> {
  if (changes.length === 0) return [];
  const result = await client.query<{ seq: string; external_id: string }>(
    `INSERT INTO changes (seq, connector, user_id, external_id, kind, version)
     SELECT ${LAST_SEQ_OF_TX} + t.n, $1, $2, t.id, t.k, t.v
       FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(id, k, v, n)
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
  /** A column of `from` already holding the seq (from nthChangeSeqOfStatement, distinct per row); otherwise seqs are drawn here. */
  seq?: string;
  returning: string;
}

/**
 * SQL that appends one change row per row of a CTE in the same statement, so the document write
 * and its change row commit (or retry) together: a write that matched nothing appends nothing.
 */
export function changeRowsFrom(spec: ChangeRowsFrom): string {
  return `INSERT INTO changes (seq, connector, user_id, external_id, kind, version)
     SELECT ${spec.seq ?? `${LAST_SEQ_OF_TX} + row_number() OVER (${spec.orderBy ? `ORDER BY ${spec.orderBy}` : ''})`},
            ${spec.connector ?? '$1'}, ${spec.userId ?? '$2'}, external_id, '${spec.kind}', ${spec.version} FROM ${spec.from}
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

/** A cursor as Postgres reads it (a decimal string); anything but a whole number ≥ 0 is a ConfigError. */
export function cursorOf(since: ChangeQuery['since']): string {
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

/** The feed after `since`, in seq order, up to the first row a running transaction may still precede (see above). */
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
      WHERE seq > $1 AND seq < ${READABLE_BELOW} AND ($2::text IS NULL OR connector = $2) AND ($3::text IS NULL OR user_id = $3)
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

/** The newest readable seq in the whole feed ('0' when empty): a cursor that skips everything so far. */
export async function latestChangeSeq(db: Queryable): Promise<string> {
  const result = await db.query<{ seq: string | null }>(`SELECT max(seq)::text AS seq FROM changes WHERE seq < ${READABLE_BELOW}`);
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
