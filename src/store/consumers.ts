// Named consumer cursors of the change feed: where each downstream consumer stands, kept in
// Postgres so several consumers each keep their own place across restarts and machines.
import { ConfigError } from '../core/errors.js';
import type { Queryable } from './db.js';

const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function checkConsumerName(name: string): string {
  if (!CONSUMER_NAME.test(name)) {
    throw new ConfigError(
      `consumer name must be 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`,
      ['consumer'],
    );
  }
  return name;
}

/** The consumer's position (the last seq it acknowledged); a new consumer starts at `startAt` (default 0). */
export async function consumerPosition(db: Queryable, name: string, startAt = '0'): Promise<string> {
  checkConsumerName(name);
  const result = await db.query<{ seq: string }>(
    `INSERT INTO change_consumers (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING seq::text`,
    [name, startAt],
  );
  return result.rows[0].seq;
}

/** Acknowledges everything up to `seq`; a cursor never moves back (a late, slower acknowledgement is ignored). */
export async function acknowledgeChanges(db: Queryable, name: string, seq: string): Promise<void> {
  checkConsumerName(name);
  await db.query(`UPDATE change_consumers SET seq = greatest(seq, $2::bigint), updated_at = now() WHERE name = $1`, [name, seq]);
}

export interface ConsumerRow {
  name: string;
  seq: string;
  updatedAt: Date;
}

export async function listConsumers(db: Queryable): Promise<ConsumerRow[]> {
  const result = await db.query<{ name: string; seq: string; updated_at: Date }>(
    `SELECT name, seq::text, updated_at FROM change_consumers ORDER BY name`,
  );
  return result.rows.map((r) => ({ name: r.name, seq: r.seq, updatedAt: r.updated_at }));
}
