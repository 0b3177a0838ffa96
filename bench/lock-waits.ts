// Samples Postgres lock waits while a figure runs: sessions of one database that pg_stat_activity
// shows waiting on a heavyweight lock (wait_event_type 'Lock'), and which lock each one waits for.
import pg from 'pg';

export interface LockWaits {
  samples: number;
  /** Most sessions waiting at one sample. */
  maxConcurrent: number;
  /** Distinct waiting transactions (backend pid + transaction start) per lock, over the run: the most-waited lock. */
  topLock?: { lock: string; waiters: number; query: string };
}

const SAMPLE = `
  SELECT a.pid, a.xact_start::text AS xact, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 90) AS query,
         concat_ws(':', l.locktype, l.relation::regclass::text, l.page, l.tuple, l.transactionid::text,
                   l.classid, l.objid, l.objsubid) AS lock
    FROM pg_stat_activity a
    JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
   WHERE a.datname = $1 AND a.wait_event_type = 'Lock'`;

/** Starts sampling every `everyMs` (one query in flight at a time); stop() returns the summary. */
export async function sampleLockWaits(databaseUrl: string, everyMs = 100): Promise<{ stop(): Promise<LockWaits> }> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const waiters = new Map<string, { txs: Set<string>; query: string }>();
  let samples = 0;
  let maxConcurrent = 0;
  let running = true;
  let failure: Error | undefined;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ pid: number; xact: string; query: string; lock: string }>(SAMPLE, [database]);
      samples++;
      maxConcurrent = Math.max(maxConcurrent, new Set(rows.map((r) => r.pid)).size);
      for (const row of rows) {
        const entry = waiters.get(row.lock) ?? { txs: new Set<string>(), query: row.query };
        entry.txs.add(`${row.pid}@${row.xact}`);
        waiters.set(row.lock, entry);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })().catch((err: Error) => {
    failure = err; // reported by stop(), not as an unhandled rejection mid-run
  });
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      if (failure) throw new Error(`lock-wait sampler failed: ${failure.message}`);
      let topLock: LockWaits['topLock'];
      for (const [lock, { txs, query }] of waiters) {
        if (!topLock || txs.size > topLock.waiters) topLock = { lock, waiters: txs.size, query };
      }
      return { samples, maxConcurrent, topLock };
    },
  };
}
