// Test scenery for the webhook suites: a Dropbox user (own fake account, credentials, a registered
// account id) whose sync ran once and now sits idle for an hour, plus what a notification could
// change: syncNow signals in the workflow's history and sync_runs rows.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { registerSourceAccount } from '../../src/store/push.js';
import type { SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, type Harness } from '../support/harness.js';

/** One Dropbox app for the suite: the receiver verifies signatures with this app secret. */
export const APP_SECRET = `q2-app-secret-${randomUUID()}`;

export interface IdleDropboxUser {
  userId: string;
  account: string;
  fake: FakeDropbox;
  handle: WorkflowHandle;
  /** The status once the first sync is done. */
  first: SyncStatus;
}

/** A user unique to this run (workflow ids are namespace-wide and test files run in parallel). */
export function uniqueUser(name: string): string {
  return `q2-${name}-${randomUUID().slice(0, 8)}`;
}

export async function idleDropboxUser(h: Harness, name: string): Promise<IdleDropboxUser> {
  const userId = uniqueUser(name);
  const fake = new FakeDropbox({ appSecret: APP_SECRET });
  const { url } = await fake.start();
  stopAfterTest(() => fake.stop());
  fake.addFile('/Docs/first.txt', `first text of ${userId}`);
  const credentialRef = await h.credentials.save('dropbox', userId, {
    appKey: fake.appKey,
    appSecret: fake.appSecret,
    refreshToken: fake.refreshToken,
  });
  const handle = await h.startSync({
    connector: 'dropbox',
    userId,
    credentialRef,
    config: { apiBaseUrl: url },
    options: { syncIntervalSeconds: 3600 },
  });
  stopAfterTest(() => handle.terminate('test over').catch(() => undefined));
  const first = await eventually(async () => {
    const s = await h.status(handle);
    return s.phase === 'idle' && s.inFlight === 0 && s.counters.fetched === 1 && s;
  });
  const account = `dbid:${userId}`;
  await registerSourceAccount(h.pool, { connector: 'dropbox', accountId: account, userId });
  return { userId, account, fake, handle, first };
}

export async function syncNowSignals(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'syncNow').length;
}

export async function syncRuns(h: Harness, userId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: string }>("SELECT count(*) AS n FROM sync_runs WHERE connector = 'dropbox' AND user_id = $1", [
    userId,
  ]);
  return Number(rows[0].n);
}

export async function documentText(h: Harness, userId: string, path: string): Promise<string | undefined> {
  const { rows } = await h.pool.query<{ text: string | null }>(
    "SELECT text FROM documents WHERE connector = 'dropbox' AND user_id = $1 AND path = $2 AND deleted_at IS NULL",
    [userId, path],
  );
  return rows[0]?.text ?? undefined;
}
