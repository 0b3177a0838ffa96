// How a syncUser run ends when it does not return: phase `failed` (with the error) before the
// workflow fails, phase `cancelled` before a Temporal cancellation ends it as CANCELED. Both are
// upserts the old code never issued, hence behind one patch.
import { ContinueAsNew, isCancellation, patched } from '@temporalio/workflow';
import type { SyncStatusBoard } from './status.js';
import type { CarriedState } from './types.js';

/** Records why the run ends on its status and search attributes; returns the error to rethrow unchanged. */
export function endingWith(err: unknown, status: SyncStatusBoard, state: CarriedState): unknown {
  if (err instanceof ContinueAsNew) return err;
  if (!patched('phase-on-close')) return err;
  if (isCancellation(err)) {
    // Activities in flight were cancelled with the workflow; children are ABANDON-ed by design
    // (started outside the cancellable scope), so their documents still land.
    status.setPhase('cancelled', 'cancelled: workflow cancellation requested');
    return err;
  }
  state.lastError = err instanceof Error ? err.message : String(err);
  status.setPhase('failed', `sync failed: ${state.lastError}`);
  return err;
}
