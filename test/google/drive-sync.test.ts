// Drive through a real syncUser (Temporal dev server, Postgres, the real @googleapis/drive client
// against the fake): an export over Drive's size limit ends skipped with its reason while the sync
// goes on; a rename and a move write one `metadata` change each with the new title/path/parents; a
// folder rename or move gives every file under it its new path; a no-change sync writes nothing.
// Prints the fake's request counts per cycle (first sync, no-change sync, rename) for the reports.
import { drive } from '@googleapis/drive';
import { afterEach, describe, expect, it } from 'vitest';
import { getDocument, type DocumentRow } from '../../src/store/documents.js';
import type { SyncHandle } from '../../src/workflows/client.js';
import { signalSync } from '../../src/workflows/client.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { eventually, useHarness } from '../support/harness.js';
import { changes } from '../support/sample.js';

const h = useHarness('drive_sync', { worker: true });
let fake: FakeGoogle | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function newFake(): Promise<FakeGoogle> {
  fake = await startFakeGoogle();
  return fake;
}

/** Starts the user's sync and waits until its first cycle has listed and handled `docs` documents. */
async function firstSync(f: FakeGoogle, userId: string, docs: number): Promise<SyncHandle> {
  const credentialRef = await h.credentials.save('gdrive', userId, {
    clientId: f.oauth.clientId,
    clientSecret: f.oauth.clientSecret,
    refreshToken: f.oauth.refreshToken,
  });
  const handle = await h.startSync({
    connector: 'gdrive',
    userId,
    credentialRef,
    config: { apiBaseUrl: f.url, tokenUrl: f.tokenUrl, requestTimeoutMs: 5_000, pageSize: 100 },
    options: { syncIntervalSeconds: 3600 },
  });
  await eventually(async () => {
    const s = await h.status(handle);
    const done = s.counters.fetched + s.counters.skipped + s.counters.unchanged + s.counters.failed;
    return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt && done >= docs;
  }, 90_000);
  return handle;
}

/** One syncNow cycle, waited for by its lastSyncAt; returns the fake's request counts for it. */
async function syncNow(f: FakeGoogle, handle: SyncHandle): Promise<Record<string, number>> {
  const before = (await h.status(handle)).lastSyncAt;
  f.clearLog();
  await signalSync(handle, 'syncNow');
  await eventually(async () => {
    const s = await h.status(handle);
    return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== before;
  }, 60_000);
  return f.counts();
}

async function row(userId: string, externalId: string): Promise<DocumentRow> {
  const doc = await getDocument(h.pool, { connector: 'gdrive', userId }, externalId);
  if (!doc) throw new Error(`no row for ${externalId}`);
  return doc;
}

describe('Drive export size limit through syncUser', () => {
  it('Drive answers 403 exportSizeLimitExceeded (domain global) to the real client, as documented', async () => {
    const f = await newFake();
    const id = f.drive.addGoogleFile('document', 'Huge', 'text');
    f.drive.markExportTooLarge(id);
    const client = drive({ version: 'v3', rootUrl: `${f.url}/`, retryConfig: { retry: 0 } });
    const token = f.oauth.issueAccessToken();
    const err = (await client.files.export({ fileId: id, mimeType: 'text/plain' }, { headers: { authorization: `Bearer ${token}` } }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { status?: number; response?: { data?: unknown } };
    expect(err?.status).toBe(403);
    expect(err.response?.data).toMatchObject({
      error: {
        code: 403,
        message: 'This file is too large to be exported.',
        errors: [{ domain: 'global', reason: 'exportSizeLimitExceeded' }],
      },
    });
  });

  it('a Doc too large to export ends skipped with the reason, exported once, no rate-limit wait; the rest is fetched', async () => {
    const f = await newFake();
    const huge = f.drive.addGoogleFile('document', 'Huge report', 'far too long');
    f.drive.markExportTooLarge(huge);
    const sheet = f.drive.addGoogleFile('spreadsheet', 'Budget', 'a,b\n1,2\n');
    const txt = f.drive.addFile({ name: 'notes.txt', content: 'plain notes' });
    const userId = 'dq1-export';
    const handle = await firstSync(f, userId, 3);
    const status = await h.status(handle);
    expect(status.counters).toMatchObject({ fetched: 2, skipped: 1, failed: 0, rateLimitWaits: 0 });
    const skipped = await row(userId, huge);
    expect(skipped.status).toBe('skipped');
    expect(skipped.error).toContain('exportSizeLimitExceeded');
    expect(skipped.parked_at).toBeNull();
    expect((await row(userId, sheet)).text).toContain('1,2');
    expect((await row(userId, txt)).text).toBe('plain notes');
    const exportsOfHuge = f.requests.filter((r) => r.route === 'drive.files.export' && r.path.includes(huge));
    expect(exportsOfHuge.map((r) => r.status)).toEqual([403]);
    // Unchanged, the skipped file is not exported again by the next cycle.
    const again = await syncNow(f, handle);
    expect(again['drive.files.export'] ?? 0).toBe(0);
    await signalSync(handle, 'cancel');
  });
});

describe('Drive renames and moves reach the change feed through syncUser', () => {
  it('a renamed file and a moved file each get one metadata change with the new title/path/parents; a no-change sync writes none', async () => {
    const f = await newFake();
    const archive = f.drive.addFolder('Archive');
    const a = f.drive.addFile({ name: 'a.txt', content: 'alpha' });
    const b = f.drive.addFile({ name: 'b.txt', content: 'beta' });
    const c = f.drive.addFile({ name: 'c.txt', content: 'gamma' });
    const userId = 'dq1-rename';
    f.clearLog();
    const handle = await firstSync(f, userId, 3);
    const firstCounts = f.counts();
    const seqBefore = { a: (await row(userId, a)).seq, b: (await row(userId, b)).seq };
    const feedBefore = await changes(h.pool, 'gdrive', userId);

    const idle = await syncNow(f, handle);
    expect(await changes(h.pool, 'gdrive', userId)).toEqual(feedBefore);

    f.drive.renameFile(a, 'a renamed.txt');
    f.drive.moveFile(b, archive);
    const renamed = await syncNow(f, handle);
    console.log(
      `drive requests: first sync ${JSON.stringify(firstCounts)}; no-change sync ${JSON.stringify(idle)}; rename+move ${JSON.stringify(renamed)}`,
    );
    expect(idle).toEqual({ 'drive.changes.list': 1 });
    expect(renamed).toEqual({ 'drive.changes.list': 1 });

    const added = (await changes(h.pool, 'gdrive', userId)).slice(feedBefore.length);
    expect(added.map((ch) => [ch.external_id, ch.kind]).sort()).toEqual(
      [
        [a, 'metadata'],
        [b, 'metadata'],
      ].sort(),
    );
    const rowA = await row(userId, a);
    const rowB = await row(userId, b);
    expect(rowA).toMatchObject({ title: 'a renamed.txt', path: '/a renamed.txt', status: 'fetched' });
    expect(rowB).toMatchObject({ title: 'b.txt', path: '/Archive/b.txt', extra: expect.objectContaining({ parents: [archive] }) });
    expect(BigInt(rowA.seq)).toBeGreaterThan(BigInt(seqBefore.a));
    expect(BigInt(rowB.seq)).toBeGreaterThan(BigInt(seqBefore.b));
    expect(added.find((ch) => ch.external_id === a)!.seq).toBe(rowA.seq);
    expect((await row(userId, c)).seq).not.toBe(rowA.seq);

    // Nothing changed since: no change row, no request but the one changes.list.
    const after = await changes(h.pool, 'gdrive', userId);
    expect(await syncNow(f, handle)).toEqual({ 'drive.changes.list': 1 });
    expect(await changes(h.pool, 'gdrive', userId)).toEqual(after);
    await signalSync(handle, 'cancel');
  });
});

describe('Drive folder renames and moves propagate to paths through syncUser', () => {
  it('every file under a renamed, then moved, folder gets its new path and one metadata change; others none', async () => {
    const f = await newFake();
    const reports = f.drive.addFolder('Reports');
    const q1 = f.drive.addFolder('Q1', reports);
    const plan = f.drive.addFile({ name: 'plan.pdf', parent: q1, content: 'plan' });
    const summary = f.drive.addFile({ name: 'summary.txt', parent: reports, content: 'summary' });
    const notes = f.drive.addFile({ name: 'notes.txt', content: 'notes' });
    const userId = 'dq1-folders';
    const handle = await firstSync(f, userId, 3);
    expect((await row(userId, plan)).path).toBe('/Reports/Q1/plan.pdf');
    let feed = await changes(h.pool, 'gdrive', userId);

    // Drive reports the folder alone (no change for its children).
    f.drive.renameFile(reports, 'Archive');
    const renamed = await syncNow(f, handle);
    let added = (await changes(h.pool, 'gdrive', userId)).slice(feed.length);
    expect(added.map((ch) => [ch.external_id, ch.kind]).sort()).toEqual(
      [
        [plan, 'metadata'],
        [summary, 'metadata'],
      ].sort(),
    );
    expect((await row(userId, plan)).path).toBe('/Archive/Q1/plan.pdf');
    expect((await row(userId, summary)).path).toBe('/Archive/summary.txt');
    expect((await row(userId, notes)).path).toBe('/notes.txt');
    // One changes.list, then one files.list per folder of the renamed subtree (Archive, Q1).
    expect(renamed).toEqual({ 'drive.changes.list': 1, 'drive.files.list': 2 });

    feed = await changes(h.pool, 'gdrive', userId);
    f.drive.moveFile(q1, f.drive.rootId);
    await syncNow(f, handle);
    added = (await changes(h.pool, 'gdrive', userId)).slice(feed.length);
    expect(added.map((ch) => [ch.external_id, ch.kind])).toEqual([[plan, 'metadata']]);
    expect(await row(userId, plan)).toMatchObject({ path: '/Q1/plan.pdf', extra: expect.objectContaining({ parents: [q1] }) });
    expect((await row(userId, summary)).path).toBe('/Archive/summary.txt');

    feed = await changes(h.pool, 'gdrive', userId);
    expect(await syncNow(f, handle)).toEqual({ 'drive.changes.list': 1 });
    expect(await changes(h.pool, 'gdrive', userId)).toEqual(feed);
    await signalSync(handle, 'cancel');
  });
});
