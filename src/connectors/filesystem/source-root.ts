// A filesystem root that is gone (deleted, moved, an unmounted share) is an outage of the source,
// never "every file was deleted": the listing fails with a NotFoundError naming the root, the sync
// shows phase failed and tries again at the next interval or syncNow, and nothing is swept.
import { promises as fs } from 'node:fs';
import { NotFoundError } from '../../core/errors.js';

const CONNECTOR = 'filesystem';

/** Throws unless `root` is a directory right now. */
export async function requireRoot(root: string): Promise<void> {
  let reason: string | undefined;
  try {
    if (!(await fs.stat(root)).isDirectory()) reason = 'not a directory';
  } catch (err) {
    reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  if (reason) {
    throw new NotFoundError(`filesystem root ${root} is unavailable (${reason}: deleted, moved or unmounted?); documents are kept`, {
      connector: CONNECTOR,
    });
  }
}

/**
 * A finished walk that found no file where the previous one found some looks like an empty mount
 * point (the share is not mounted). `docsync resync` drops the milestone, after which an empty
 * folder is accepted as empty (and swept).
 */
export function refuseEmptiedRoot(root: string, listed: number, previouslyListed: number | undefined): void {
  if (listed > 0 || !previouslyListed) return;
  throw new NotFoundError(
    `filesystem root ${root} is empty but the last walk listed ${previouslyListed} files (unmounted?); documents are kept. ` +
      'If it was emptied on purpose: docsync resync',
    { connector: CONNECTOR },
  );
}
