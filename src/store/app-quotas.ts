// Shared app quotas in Postgres (table app_quotas): one GCRA row per connector. A reservation moves
// the row's theoretical arrival time (tat) forward by the block's length in one statement, and only
// when the block would start within the caller's longest wait, so refused callers spend nothing.
import type { Pool } from 'pg';

export interface QuotaReservation {
  /** Milliseconds from the database's now until the block starts (0 when the budget is idle). */
  startsInMs: number;
}

export type QuotaRefusal = { refusedForMs: number };

/**
 * Reserves `blockMs` of the connector's budget timeline, starting at max(tat, now). Refused (nothing
 * reserved) when that start is more than `maxWaitMs` away; the refusal says how far away it is.
 * Times are the database's clock, so workers on machines with skewed clocks still share one timeline.
 */
export async function reserveAppQuota(
  pool: Pool,
  connector: string,
  blockMs: number,
  maxWaitMs: number,
): Promise<QuotaReservation | QuotaRefusal> {
  const { rows } = await pool.query<{ starts_in_ms: number }>(
    `INSERT INTO app_quotas AS q (connector, tat) VALUES ($1, clock_timestamp() + make_interval(secs => $2 / 1000.0))
     ON CONFLICT (connector) DO UPDATE
       SET tat = GREATEST(q.tat, clock_timestamp()) + make_interval(secs => $2 / 1000.0), updated_at = now()
       WHERE q.tat <= clock_timestamp() + make_interval(secs => $3 / 1000.0)
     RETURNING GREATEST(0, EXTRACT(EPOCH FROM (q.tat - clock_timestamp())) * 1000 - $2)::float8 AS starts_in_ms`,
    [connector, blockMs, maxWaitMs],
  );
  if (rows[0]) return { startsInMs: rows[0].starts_in_ms };
  const late = await pool.query<{ ms: number }>(
    'SELECT GREATEST(0, EXTRACT(EPOCH FROM (tat - clock_timestamp())) * 1000)::float8 AS ms FROM app_quotas WHERE connector = $1',
    [connector],
  );
  return { refusedForMs: late.rows[0]?.ms ?? 0 };
}
