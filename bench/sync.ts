// Drives syncUser for a benchmark: one-off syncs awaited to completion, and long-lived syncs
// polled through the status query until caught up (for incremental syncs after changes).
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { querySyncStatus, startSyncUser } from '../src/workflows/client.js';
import type { SyncStatus, SyncUserInput } from '../src/workflows/types.js';

export function startSync(client: Client, taskQueue: string, input: SyncUserInput): Promise<WorkflowHandle> {
  return startSyncUser(client, input, { taskQueue });
}

/** Polls until the sync has finished a listing after `after` (ISO) and nothing is in flight. */
export async function waitCaughtUp(handle: WorkflowHandle, after?: string, timeoutMs = 30 * 60_000): Promise<SyncStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A query can time out on a saturated machine: that is not an answer, ask again.
    const status = await querySyncStatus(handle).catch((err: Error) => {
      if (Date.now() > deadline) throw err;
      return undefined;
    });
    if (!status) continue;
    if (status.phase === 'failed' || status.phase === 'auth-failed') {
      throw new Error(`sync ${handle.workflowId} is ${status.phase}: ${status.lastError ?? status.waitReason}`);
    }
    if (status.phase === 'idle' && status.inFlight === 0 && status.lastSyncAt && status.lastSyncAt !== after) return status;
    if (Date.now() > deadline) throw new Error(`sync ${handle.workflowId} not caught up within ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rows of `userId` per status, to check that a run really stored what it claims. */
export async function countByStatus(pool: Pool, userId: string): Promise<Record<string, number>> {
  const result = await pool.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM documents WHERE user_id = $1 GROUP BY status',
    [userId],
  );
  return Object.fromEntries(result.rows.map((r) => [r.status, Number(r.n)]));
}

/** Throws unless `userId` has exactly `expected` rows with `status` (a benchmark that lost work measures nothing). */
export async function expectRows(pool: Pool, userId: string, status: string, expected: number): Promise<void> {
  const counts = await countByStatus(pool, userId);
  if ((counts[status] ?? 0) !== expected) {
    throw new Error(`benchmark user ${userId}: expected ${expected} documents "${status}", found ${JSON.stringify(counts)}`);
  }
}

export function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}
