// The four push paths of the freshness figure: each prepares one user (N documents, a sync with a
// 1 h interval so only push can bring a change, and its push channel), edits document i at the fake,
// and counts the API calls the fake answered. Used by bench/figures/freshness.ts.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import type { CredentialStore } from '../src/store/credentials.js';
import { usersOfAccount } from '../src/store/push.js';
import { startWatchChannels } from '../src/workflows/client.js';
import type { SyncOptions } from '../src/workflows/types.js';
import { deliverDropboxWebhook } from '../test/fakes/dropbox/webhooks.js';
import { FakeDropbox } from '../test/fakes/dropbox/server.js';
import type { FakeGoogle } from '../test/fakes/google/index.js';
import { startSync, waitCaughtUp } from './sync.js';

/** What every path shares: the figure's engine, the in-process receiver and one Google fake. */
export interface FreshnessWorld {
  client: Client;
  pool: Pool;
  credentials: CredentialStore;
  taskQueue: string;
  receiverUrl: string;
  dropboxAppSecret: string;
  google: FakeGoogle;
}

export interface PushPath {
  name: string;
  connector: string;
  userId: string;
  /** Edits (or, for Gmail, adds) document i at the fake; returns its external id. */
  edit(i: number): string;
  /** Requests the fake answered since the last reset (token refreshes included). */
  calls(): number;
  /** Those requests per route (and, for webhooks, the receiver's answers), for the table's detail. */
  breakdown(): string;
  resetCalls(): void;
  /** Waits until notifications on their way were answered and the push is re-armed. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export const editText = (path: string, i: number) => `freshness edit ${i} via ${path}`;

/** Polls `check` every 20 ms (a bench wait on a condition, not a measurement) until truthy or `ms` passed. */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`freshness: ${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const terminate = (h: WorkflowHandle) => h.terminate('freshness figure done').catch(() => undefined);

async function dropboxUser(world: FreshnessWorld, userId: string, edits: number, options: SyncOptions) {
  const fake = new FakeDropbox({ appSecret: world.dropboxAppSecret });
  const { url } = await fake.start();
  try {
    for (let i = 0; i < edits; i++) fake.addFile(`/Docs/edit-${i}.txt`, `before edit ${i}`);
    const credentialRef = await world.credentials.save('dropbox', userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const handle = await startSync(world.client, world.taskQueue, {
      connector: 'dropbox',
      userId,
      credentialRef,
      config: { apiBaseUrl: url },
      options: { syncIntervalSeconds: 3600, ...options },
    });
    await waitCaughtUp(handle).catch(async (err: Error) => {
      await terminate(handle);
      throw err;
    });
    return { fake, handle };
  } catch (err) {
    await fake.stop();
    throw err;
  }
}

function dropboxCalls(fake: FakeDropbox): number {
  return Object.values(fake.counts).reduce((sum, n) => sum + n, 0);
}

const perRoute = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([route, n]) => `${route.replace(/^\/2\//, '')} ${n}`)
    .join(', ');

export async function dropboxLongpollPath(world: FreshnessWorld, userId: string, edits: number): Promise<PushPath> {
  const { fake, handle } = await dropboxUser(world, userId, edits, { longpoll: true });
  const armed = async () => void (await until('an open longpoll', () => fake.longpoll.open.length === 1));
  await armed();
  return {
    name: 'dropbox longpoll',
    connector: 'dropbox',
    userId,
    edit: (i) => fake.updateFile(`/Docs/edit-${i}.txt`, editText('dropbox longpoll', i)).id,
    calls: () => dropboxCalls(fake),
    breakdown: () => perRoute(fake.counts),
    resetCalls: () => fake.resetRecording(),
    settle: armed,
    async stop() {
      await terminate(handle);
      await fake.stop();
    },
  };
}

export async function dropboxWebhookPath(world: FreshnessWorld, userId: string, edits: number): Promise<PushPath> {
  const { fake, handle } = await dropboxUser(world, userId, edits, {});
  // The first listing (no cursor) recorded the Dropbox account id the notifications name.
  const { rows } = await world.pool.query<{ account_id: string }>(
    "SELECT account_id FROM source_accounts WHERE connector = 'dropbox' AND user_id = $1",
    [userId],
  );
  const account = rows[0]?.account_id;
  if (!account) throw new Error(`freshness: no Dropbox account recorded for ${userId}`);
  const deliveries = new Set<Promise<unknown>>();
  // Answers the receiver gave, retries included (409 = refused as a replay inside the window).
  const answers: Record<string, number> = {};
  const settle = async () => {
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
  };
  return {
    name: 'dropbox webhook',
    connector: 'dropbox',
    userId,
    edit(i) {
      const entry = fake.updateFile(`/Docs/edit-${i}.txt`, editText('dropbox webhook', i));
      // As Dropbox does: one signed notification per change, retried on a non-200 (the 3 s replay window).
      const sent = deliverDropboxWebhook(`${world.receiverUrl}/dropbox`, world.dropboxAppSecret, { accounts: [account] }).then((r) => {
        for (const status of r.statuses) answers[status] = (answers[status] ?? 0) + 1;
      });
      deliveries.add(sent);
      void sent.finally(() => deliveries.delete(sent));
      return entry.id;
    },
    calls: () => dropboxCalls(fake),
    breakdown: () => `${perRoute(fake.counts)}; receiver answers ${perRoute(answers)}`,
    resetCalls: () => fake.resetRecording(),
    settle,
    async stop() {
      await settle();
      await terminate(handle);
      await fake.stop();
    },
  };
}

async function googleUser(world: FreshnessWorld, connector: 'gdrive' | 'gmail', userId: string) {
  const f = world.google;
  const credentialRef = await world.credentials.save(connector, userId, {
    clientId: f.oauth.clientId,
    clientSecret: f.oauth.clientSecret,
    refreshToken: f.oauth.refreshToken,
  });
  const config = { apiBaseUrl: f.url, tokenUrl: f.tokenUrl };
  const sync = await startSync(world.client, world.taskQueue, {
    connector,
    userId,
    credentialRef,
    config,
    options: { syncIntervalSeconds: 3600 },
  });
  const watch = await startWatchChannels(
    world.client,
    { ref: { connector, userId, credentialRef, config } },
    { taskQueue: world.taskQueue },
  );
  const stop = async () => {
    await Promise.all([terminate(sync), terminate(watch)]);
  };
  try {
    await waitCaughtUp(sync);
  } catch (err) {
    await stop();
    throw err;
  }
  return { f, stop };
}

function googlePath(name: string, connector: 'gdrive' | 'gmail', userId: string, f: FakeGoogle, stop: () => Promise<void>) {
  return {
    name,
    connector,
    userId,
    // Less the receiver's fetch of Google's signing keys (OIDC verification, cached, once per receiver
    // process, not a call on the user's behalf); the breakdown still shows it.
    calls: () => f.count() - f.count('oauth2.certs'),
    breakdown: () => perRoute(f.counts()),
    resetCalls: () => f.clearLog(),
    stop,
  };
}

export async function driveWatchPath(world: FreshnessWorld, userId: string, edits: number): Promise<PushPath> {
  const f = world.google;
  const ids = Array.from({ length: edits }, (_, i) => f.drive.addFile({ name: `edit-${i}.txt`, content: `before edit ${i}` }));
  const { stop } = await googleUser(world, 'gdrive', userId);
  try {
    // Drive's first message on a new channel is `sync`; the receiver acknowledged it.
    await until('a live Drive channel', () => f.drivePush.live().length === 1 && f.drivePush.deliveries.some((d) => d.state === 'sync'));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ...googlePath('drive watch', 'gdrive', userId, f, stop),
    edit(i) {
      f.drive.modifyFile(ids[i], editText('drive watch', i));
      return ids[i];
    },
    settle: () => f.drivePush.idle(),
  };
}

export async function gmailPushPath(world: FreshnessWorld, userId: string): Promise<PushPath> {
  const f = world.google;
  f.gmail.addMessage({ subject: 'before the edits', body: 'first message' });
  const { stop } = await googleUser(world, 'gmail', userId);
  try {
    await until(
      'a Gmail watch mapped to the user',
      async () => f.gmailPush.watch && (await usersOfAccount(world.pool, 'gmail', f.gmail.emailAddress)).includes(userId),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ...googlePath('gmail push', 'gmail', userId, f, stop),
    // Messages are immutable: an "edit" is a new message (the fake's subscription pushes on it).
    edit: (i) => f.gmail.addMessage({ subject: `edit ${i}`, body: editText('gmail push', i) }),
    settle: () => f.gmailPush.idle(),
  };
}
