// What the push scenarios share: the receiver started in-process (startWebhookServer + webhookRoutes
// + SyncNotifier, stopped after the test), a user's first sync waited for, and a user's watch started.
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { startWebhookServer, type WebhookServer } from '../../src/webhooks/server.js';
import { SyncNotifier } from '../../src/webhooks/notifier.js';
import { webhookRoutes, type RouteDeps } from '../../src/webhooks/routes/index.js';
import type { JsonObject } from '../../src/core/contract.js';
import { startWatchChannels, type SyncHandle } from '../../src/workflows/client.js';
import type { WatchChannelsInput } from '../../src/workflows/watch-channels.js';
import type { FakeGoogle } from '../fakes/google/index.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, type Harness } from '../support/harness.js';

export const PUSH_SECRET = 'q3-test-push-secret-0123456789abcdef';

export interface Receiver {
  server: WebhookServer;
  notifier: SyncNotifier;
}

export async function startReceiver(h: Harness, deps: Omit<RouteDeps, 'pool'>): Promise<Receiver> {
  const notifier = new SyncNotifier(h.client, h.logger);
  const server = await startWebhookServer({ routes: webhookRoutes({ pool: h.pool, ...deps }), waker: notifier, logger: h.logger });
  stopAfterTest(() => server.close());
  return { server, notifier };
}

export interface GoogleUser {
  connector: 'gdrive' | 'gmail';
  userId: string;
  credentialRef: string;
  config: JsonObject;
}

/** Starts the user's sync (interval 1 h, so only a push or syncNow lists again) and waits for its first cycle. */
export async function firstSync(h: Harness, f: FakeGoogle, connector: GoogleUser['connector'], userId: string, docs: number) {
  const credentialRef = await h.credentials.save(connector, userId, {
    clientId: f.oauth.clientId,
    clientSecret: f.oauth.clientSecret,
    refreshToken: f.oauth.refreshToken,
  });
  const config = { apiBaseUrl: f.url, tokenUrl: f.tokenUrl, requestTimeoutMs: 5_000 };
  const handle = await h.startSync({ connector, userId, credentialRef, config, options: { syncIntervalSeconds: 3600 } });
  stopAfterTest(() => handle.terminate().catch(() => undefined));
  await eventually(async () => {
    const s = await h.status(handle);
    const done = s.counters.fetched + s.counters.skipped + s.counters.unchanged + s.counters.failed;
    return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt && done >= docs;
  }, 120_000);
  return { user: { connector, userId, credentialRef, config } satisfies GoogleUser, handle: handle as SyncHandle };
}

export async function startWatch(
  h: Harness,
  user: GoogleUser,
  extra: Omit<WatchChannelsInput, 'ref'> = {},
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const handle = await startWatchChannels(
    h.client,
    { ref: { connector: user.connector, userId: user.userId, credentialRef: user.credentialRef, config: user.config }, ...extra },
    { taskQueue: h.taskQueue },
  );
  stopAfterTest(() => handle.terminate().catch(() => undefined));
  return handle;
}

/** POSTs a hand-made notification to the receiver; returns the status. */
export async function post(url: string, headers: Record<string, string>, body = ''): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.status;
}
