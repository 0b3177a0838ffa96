// Drive documents have a location: parents and a resolved path, include/exclude globs on it,
// "Shared with me" only when asked, shortcuts as link rows, through the real @googleapis/drive
// client against the fake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GdriveConnector } from '../../src/connectors/gdrive/connector.js';
import type { GdriveConfig } from '../../src/connectors/gdrive/config.js';
import type { DocMetadata } from '../../src/core/contract.js';
import { UnsupportedContentError } from '../../src/core/errors.js';
import { startFakeGoogle, type FakeGoogle } from '../fakes/google/index.js';
import { failureOf, makeContext, syncUntilCaughtUp, userAuth, type TestContext } from './harness.js';

const connector = new GdriveConnector();
let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle();
});
afterEach(async () => {
  await fake?.close();
});

function context(extra: object = {}): TestContext<GdriveConfig> {
  return makeContext(connector, { ...userAuth(fake, { accessToken: fake.oauth.issueAccessToken() }), pageSize: 100, ...extra });
}

async function listed(ctx: TestContext<GdriveConfig>): Promise<Map<string, DocMetadata>> {
  const { pages } = await syncUntilCaughtUp(connector, ctx);
  return new Map(pages.flatMap((p) => p.upserts).map((d) => [d.title, d]));
}

function tree() {
  const reports = fake.drive.addFolder('Reports');
  const q1 = fake.drive.addFolder('Q1', reports);
  const plan = fake.drive.addFile({ name: 'plan.pdf', parent: q1, content: 'plan' });
  const notes = fake.drive.addFile({ name: 'notes.txt', content: 'notes' });
  const shared = fake.drive.addFile({ name: 'from-bob.txt', content: 'hi', sharedWithMe: true });
  return { reports, q1, plan, notes, shared };
}

describe('drive paths', () => {
  it('stores the parent ids and the resolved path; folders are not documents', async () => {
    const { q1 } = tree();
    const docs = await listed(context());
    expect([...docs.keys()].sort()).toEqual(['notes.txt', 'plan.pdf']);
    expect(docs.get('plan.pdf')).toMatchObject({ path: '/Reports/Q1/plan.pdf', extra: { parents: [q1] } });
    expect(docs.get('notes.txt')).toMatchObject({ path: '/notes.txt', extra: { parents: [fake.drive.rootId] } });
    // Folders come with files.list: only My Drive's root needs a files.get.
    expect(fake.requests.filter((r) => r.route === 'drive.files.get').map((r) => r.path)).toEqual([
      expect.stringMatching(/\/files\/root$/),
    ]);
  });

  it('"Shared with me" files are listed under /Shared with me/ only with includeSharedWithMe', async () => {
    tree();
    expect((await listed(context())).has('from-bob.txt')).toBe(false);
    const docs = await listed(context({ includeSharedWithMe: true }));
    expect(docs.get('from-bob.txt')).toMatchObject({ path: '/Shared with me/from-bob.txt' });
  });

  it('include/exclude globs filter on the path, and a move out of scope deletes', async () => {
    const { plan, notes, reports } = tree();
    const ctx = context({ include: ['/Reports/**'], exclude: ['**/*.txt'] });
    const { pages, milestone } = await syncUntilCaughtUp(connector, ctx);
    expect(pages.flatMap((p) => p.upserts).map((d) => d.externalId)).toEqual([plan]);
    fake.drive.moveFile(plan, fake.drive.rootId);
    fake.drive.moveFile(notes, reports);
    const page = await connector.retrieveMetadata(ctx, milestone);
    expect(page.upserts).toEqual([]);
    expect(page.deletes.sort()).toEqual([plan, notes].sort());
  });

  it('a folder rename from the change feed gives the new path to files that change after it', async () => {
    const { reports, plan } = tree();
    const ctx = context();
    const { milestone } = await syncUntilCaughtUp(connector, ctx);
    fake.drive.renameFile(reports, 'Archive');
    fake.drive.modifyFile(plan, 'plan v2');
    const page = await connector.retrieveMetadata(ctx, milestone);
    expect(page.upserts.map((d) => d.path)).toEqual(['/Archive/Q1/plan.pdf']);
  });

  it('a folder rename or move alone re-lists its subtree: files under it get the new path in the same page', async () => {
    const { reports, q1, plan } = tree();
    const ctx = context();
    const { milestone } = await syncUntilCaughtUp(connector, ctx);
    fake.drive.renameFile(reports, 'Archive');
    fake.clearLog();
    const renamed = await connector.retrieveMetadata(ctx, milestone);
    expect(renamed.upserts.map((d) => [d.externalId, d.path])).toEqual([[plan, '/Archive/Q1/plan.pdf']]);
    // The folder's change, then one files.list per folder under it ('<id>' in parents).
    expect(fake.requests.map((r) => [r.route, r.query.q])).toEqual([
      ['drive.changes.list', undefined],
      ['drive.files.list', `'${reports}' in parents and trashed = false`],
      ['drive.files.list', `'${q1}' in parents and trashed = false`],
    ]);
    fake.drive.moveFile(q1, fake.drive.rootId);
    const moved = await connector.retrieveMetadata(ctx, renamed.milestone);
    expect(moved.upserts.map((d) => [d.externalId, d.path])).toEqual([[plan, '/Q1/plan.pdf']]);
  });
});

describe('drive shortcuts', () => {
  it('a shortcut is a link row at its own location with the target id; its content is skipped with a reason', async () => {
    const { plan, q1 } = tree();
    const shortcut = fake.drive.addShortcut('plan link', plan, q1);
    const ctx = context();
    const doc = (await listed(ctx)).get('plan link')!;
    expect(doc).toMatchObject({
      externalId: shortcut,
      path: '/Reports/Q1/plan link',
      extra: { shortcutTargetId: plan, shortcutTargetMimeType: 'text/plain' },
    });
    fake.clearLog();
    const err = await failureOf(connector.retrieveData(ctx, doc));
    expect(err).toBeInstanceOf(UnsupportedContentError);
    expect(fake.count()).toBe(0);
  });
});
