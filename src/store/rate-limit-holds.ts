// Rate-limit holds per credential in Postgres (table rate_limit_holds): the wait a provider announced
// to one worker, visible to every worker of the deployment. Writers keep the later time.
import type { Pool } from 'pg';

/** The announced wait for this credential, if any was recorded (past ones included: the caller compares). */
export async function readRateLimitHold(pool: Pool, credentialKey: string): Promise<Date | undefined> {
  const { rows } = await pool.query<{ retry_at: Date }>('SELECT retry_at FROM rate_limit_holds WHERE credential_key = $1', [credentialKey]);
  return rows[0]?.retry_at;
}

/** Upsert keeping the later time: a shorter wait announced later must not shorten a longer one. */
export async function recordRateLimitHold(pool: Pool, credentialKey: string, retryAt: Date): Promise<void> {
  await pool.query(
    `INSERT INTO rate_limit_holds (credential_key, retry_at) VALUES ($1, $2)
     ON CONFLICT (credential_key) DO UPDATE
       SET retry_at = GREATEST(rate_limit_holds.retry_at, EXCLUDED.retry_at), updated_at = now()`,
    [credentialKey, retryAt],
  );
}
