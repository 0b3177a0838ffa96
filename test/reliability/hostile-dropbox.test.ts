// A hostile Dropbox account through the real engine (SDK → wire-level fake, real Temporal and
// Postgres): path-traversal, unicode and very long names, broken and oversized content, 5xx
// bursts, cut-off and stalled bodies, garbage cursors, and a file deleted mid-download.
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/contract.js';
import type { CarriedState, SyncStatus } from '../../src/workflows/types.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { fixturePath, ZIP_BOMB } from '../fixtures/content-fixtures.js';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, useHarness } from '../support/harness.js';
import { documents } from '../support/sample.js';

const MAX_BYTES = 128 * 1024;
const LONG_UNICODE = `${'ü'.repeat(120)}\u202e${'🦆'.repeat(40)}`;

describe('hostile Dropbox inputs', () => {
  const fakes: FakeDropbox[] = [];
  const h = useHarness('hostile_dropbox', {
    worker: { limits: { maxBytes: MAX_BYTES }, tikaUrl: '' },
    teardown: async () => {
      for (const fake of fakes) await fake.stop(); // idempotent: most were stopped after their test
    },
  });

  /** A started fake and a sync of its account for `userId` (secrets only through the credential store). */
  async function syncAccount(
    userId: string,
    seed: (fake: FakeDropbox) => void,
    extra: { config?: JsonObject; carried?: CarriedState } = {},
  ) {
    const fake = new FakeDropbox();
    fakes.push(fake);
    stopAfterTest(() => fake.stop()); // a failed test's fake does not outlive it
    const { url } = await fake.start();
    seed(fake);
    const credentialRef = await h.credentials.save('dropbox', userId, {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    const handle = await h.startSync({
      connector: 'dropbox',
      userId,
      credentialRef,
      carried: extra.carried,
      config: { apiBaseUrl: url, pageSize: 4, requestTimeoutMs: 1500, ...extra.config },
      options: { syncIntervalSeconds: 3600, docMaxAttempts: 5, maxInFlight: 4 },
    });
    const settled = (check: (s: SyncStatus) => boolean) =>
      eventually(async () => {
        const s = await h.status(handle);
        return s.phase === 'idle' && s.inFlight === 0 && check(s) && s;
      }, 90_000);
    return { fake, handle, settled };
  }

  it('given traversal, unicode and very long names plus zero-byte, corrupt, zip-bomb and over-cap files, each gets a clear outcome and nothing is written outside the blob dir', async () => {
    const names = {
      escape: '/Docs/../escape.txt',
      deep: '/Docs/../../../../../tmp/pwned-by-docsync.txt',
      dots: '/Other/..',
      long: `/Docs/${LONG_UNICODE}.txt`,
      odd: '/Docs/back\\slash\nnew line.txt',
      empty: '/Docs/empty.txt',
      corrupt: '/Docs/corrupt.pdf',
      bomb: `/Docs/${ZIP_BOMB.file}`,
      huge: '/Docs/huge.txt',
    };
    const { fake, settled } = await syncAccount('names', (f) => {
      f.addFile(names.escape, 'escaped? no: content-addressed');
      f.addFile(names.deep, 'still inside the blob dir');
      f.addFile(names.dots, 'a file named two dots');
      f.addFile(names.long, 'long unicode name');
      f.addFile(names.odd, 'backslash and newline');
      f.addFile(names.empty, '');
      f.addFile(names.corrupt, readFileSync(fixturePath('corrupt.pdf')));
      f.addFile(names.bomb, readFileSync(fixturePath(ZIP_BOMB.file)));
      f.addFile(names.huge, Buffer.alloc(3 * MAX_BYTES, 'x'));
    });
    const total = Object.keys(names).length;
    await settled((s) => s.counters.fetched + s.counters.skipped + s.counters.failed === total);
    const rows = [...(await documents(h.pool, 'dropbox', 'names')).values()];
    const byPath = new Map(rows.map((r) => [r.path, r]));
    const outcome = (p: string) => byPath.get(p)!;
    for (const p of [names.escape, names.deep, names.long, names.odd]) {
      expect(outcome(p).status, `${JSON.stringify(p)}: ${outcome(p).error}`).toBe('fetched');
    }
    // No extension, no magic bytes: downloaded, then skipped with the reason (its bytes not kept).
    expect(outcome(names.dots)).toMatchObject({ status: 'skipped', title: '..' });
    expect(outcome(names.dots).error).toContain('no built-in text extractor');
    expect(outcome(names.long).title).toBe(`${LONG_UNICODE}.txt`);
    expect(outcome(names.empty)).toMatchObject({ status: 'fetched', text: '' });
    expect(outcome(names.corrupt).status).toBe('failed');
    expect(outcome(names.corrupt).error).toMatch(/^text extraction failed: /);
    expect(outcome(names.bomb).status).toBe('skipped');
    expect(outcome(names.bomb).error).toMatch(/unzip|decompress|bytes|entries/i);
    // Listed bigger than the cap: skipped without a download (the 2 GiB test below covers sizes that lie).
    expect(outcome(names.huge)).toMatchObject({
      status: 'skipped',
      error: `content of ${3 * MAX_BYTES} bytes (listed size) exceeds the ${MAX_BYTES}-byte download cap`,
    });
    expect(fake.requests.filter((r) => r.route === '/2/files/download')).toHaveLength(total - 1);

    // Every file in the blob dir is named by its sha256 (or is a temp file), and no name escaped. The
    // five fetched documents' blobs are there; skipped and broken content is discarded, not kept.
    const stored = await fs.readdir(h.blobDir, { recursive: true, withFileTypes: true });
    const files = stored.filter((e) => e.isFile()).map((e) => path.relative(h.blobDir, path.join(e.parentPath, e.name)));
    expect(files.filter((f) => !f.startsWith('tmp/')).length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(f).toMatch(/^([0-9a-f]{2}\/[0-9a-f]{64}|tmp\/[0-9a-f-]{36})$/);
    const around = await fs.readdir(path.dirname(h.blobDir));
    expect(around.filter((n) => /escape|pwned|^\.\.$/.test(n))).toEqual([]);
    await expect(fs.access('/tmp/pwned-by-docsync.txt')).rejects.toThrow();
  });

  it('given 5xx bursts on listing and downloads, cut-off and stalled bodies, every file still arrives', async () => {
    const { fake, settled } = await syncAccount('bursts', (f) => {
      for (let i = 1; i <= 6; i++) f.addFile(`/Burst/file-${i}.txt`, `burst survivor ${i} `.repeat(50));
      f.inject('/2/files/list_folder/continue', { kind: 'server-error', status: 502, text: 'Bad Gateway' }, { times: 2 });
      f.inject('/2/files/download', { kind: 'server-error', status: 503 }, { times: 2 });
      f.inject('/2/files/download', { kind: 'truncate' }, { times: 1 });
      f.inject('/2/files/download', { kind: 'stall', sendBytes: 10 }, { times: 1 });
    });
    const s = await settled((st) => st.counters.fetched === 6);
    expect(s.counters.failed).toBe(0);
    const refused = fake.requests.filter((r) => r.route === '/2/files/list_folder/continue' && r.status === 502);
    expect(refused).toHaveLength(2);
    // 6 good answers + 2 × 503 + 1 cut-off + 1 stalled body: each fault was met and retried.
    expect(fake.count('/2/files/download')).toBe(10);
    expect(fake.requests.filter((r) => r.route === '/2/files/download' && r.status === 503)).toHaveLength(2);
    const rows = [...(await documents(h.pool, 'dropbox', 'bursts')).values()];
    expect(rows.map((r) => r.status)).toEqual(Array(6).fill('fetched'));
    for (const r of rows) expect(r.text).toContain('burst survivor');
    // Failed attempts were counted on the rows that hit a fault, and cleared once fetched.
    expect(rows.every((r) => r.attempts === 0)).toBe(true);
  });

  it.each([
    ['a cursor Dropbox cannot decode', { cursor: 'AAthis-is-not-a-cursor' }],
    ['a cursor of the wrong type', { cursor: 42 }],
    ['a milestone of another connector', { epoch: 3, snapshotOffset: 9 }],
  ])('given %s, the connector starts over as a reset and sweeps what is gone', async (label, milestone) => {
    const userId = `garbage-${label.length}`;
    await h.pool.query(
      `INSERT INTO documents (connector, user_id, external_id, title, version, status, seq) VALUES ('dropbox', $1, 'id:ghost', 'ghost.txt', 'v0', 'fetched', 0)`,
      [userId],
    );
    const carried: CarriedState = {
      milestone: milestone as JsonObject,
      inFlight: [],
      pageNo: 0,
      sweeping: false,
      paused: false,
      syncRequested: false,
      runs: 1,
      counters: { pages: 0, listed: 0, fetched: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0, rateLimitWaits: 0 },
    };
    const { settled } = await syncAccount(userId, (f) => f.addFile('/Real/doc.txt', 'listed again from scratch'), { carried });
    const s = await settled((st) => st.counters.fetched === 1);
    expect(s.lastError).toBeUndefined();
    const rows = await documents(h.pool, 'dropbox', userId);
    expect(rows.get('id:ghost')!.deleted_at).toBeInstanceOf(Date);
    const run = (await h.pool.query('SELECT full_listing, outcome FROM sync_runs WHERE user_id = $1', [userId])).rows;
    expect(run).toEqual([{ full_listing: true, outcome: 'completed' }]);
  });

  it('given a 2 GiB file, the download stops at the cap: skipped with the reason, and only a sliver was ever sent', async () => {
    const TWO_GIB = 2 * 1024 ** 3;
    let produced = 0;
    const { settled } = await syncAccount('giant', (f) => {
      f.addFile('/Big/small.txt', 'a normal file next to the giant');
      // The fake streams generated bytes with back-pressure: 2 GiB are never allocated.
      f.addFile('/Big/giant.txt', '').stream = {
        size: TWO_GIB,
        open: () =>
          Readable.from(
            (function* () {
              const chunk = Buffer.alloc(64 * 1024, 'g');
              for (; produced < TWO_GIB; produced += chunk.length) yield chunk;
            })(),
          ),
      };
    });
    await settled((st) => st.counters.fetched === 1 && st.counters.skipped === 1);
    const rows = [...(await documents(h.pool, 'dropbox', 'giant')).values()];
    expect(rows.find((r) => r.path === '/Big/giant.txt')).toMatchObject({
      status: 'skipped',
      error: `content exceeds the ${MAX_BYTES}-byte download cap`,
      content_sha256: null,
    });
    expect(rows.find((r) => r.path === '/Big/small.txt')!.status).toBe('fetched');
    expect(produced).toBeLessThan(64 * 1024 * 1024); // the reader hung up at the cap
    expect(await fs.readdir(path.join(h.blobDir, 'tmp'))).toEqual([]); // the partial download was removed
  });

  it('given a file deleted between listing and download, it is tombstoned and the sync goes on', async () => {
    const { fake, settled } = await syncAccount('vanishing', (f) => {
      f.addFile('/V/stays.txt', 'I stay');
      f.addFile('/V/goes.txt', 'I vanish');
      // Every download waits 5 s before it is answered: the file is deleted inside that window.
      f.inject('/2/files/download', { kind: 'slow', delayMs: 5000 }, { times: 2 });
    });
    await eventually(async () => fake.count('/2/files/download') >= 1, 180_000, 20);
    fake.deleteFile('/V/goes.txt');
    const s = await settled((st) => st.counters.fetched === 1 && st.counters.deleted === 1);
    expect(s.counters.failed).toBe(0);
    const rows = [...(await documents(h.pool, 'dropbox', 'vanishing')).values()];
    const goes = rows.find((r) => r.path === '/V/goes.txt')!;
    expect(goes).toMatchObject({ status: 'deleted' });
    expect(goes.deleted_at).toBeInstanceOf(Date);
    expect(rows.find((r) => r.path === '/V/stays.txt')!.status).toBe('fetched');
    expect(fake.requests.some((r) => r.route === '/2/files/download' && r.status === 409)).toBe(true);
  });
});
