// The waitForChanges activity: one long poll of the connector's change notification (Dropbox
// list_folder/longpoll) with the sync's current milestone. It heartbeats while the poll is open, so a
// dead worker is noticed within the heartbeat timeout and a cancelled poll (pause, syncNow, cancel)
// aborts its request; it answers only the small ChangeWait.
import type { Logger } from 'pino';
import type { ChangeWait } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import type { CredentialStore } from '../store/credentials.js';
import type { WaitForChangesInput } from '../workflows/types.js';
import { prepareConnector, withHeartbeats } from './connector-context.js';
import { withTypedFailures } from './failures.js';
import { parseMilestone } from './milestone.js';

/**
 * Heartbeats this often while the poll is open. The SDK sends at most one per 80% of the heartbeat
 * timeout, and a cancellation reaches the activity only in a heartbeat's answer.
 */
const HEARTBEAT_EVERY_MS = 2_000;

export function createWaitForChanges(deps: { logger: Logger; credentials?: CredentialStore }) {
  return async function waitForChanges(input: WaitForChangesInput): Promise<ChangeWait> {
    return withTypedFailures(() =>
      withHeartbeats(async () => {
        // No pool: the poll passes no rate-limit gate (see the connector), so no stored hold is read.
        const { connector, ctx } = await prepareConnector(input, deps);
        if (!connector.waitForChanges) {
          throw new ConfigError(`connector "${input.connector}" cannot wait for changes (no waitForChanges)`, ['options.longpoll']);
        }
        const answer = await connector.waitForChanges(ctx, parseMilestone(connector, input.milestone));
        // Only the two fields cross into history, whatever else a connector returns.
        return { changes: answer.changes === true, ...(answer.backoffMs ? { backoffMs: Math.ceil(answer.backoffMs) } : {}) };
      }, HEARTBEAT_EVERY_MS),
    );
  };
}
