// The content pipeline through the whole engine: a folder of real office documents synced by
// the filesystem connector, with the built-in extractors and with a real Tika server.
import { cpSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite, waitForStatus, type ConformanceEngine, type ConformanceSync } from '../../src/testing/kit.js';
import { startTika } from '../../src/devstack/tika.js';
import { latestChangeSeq, readChanges } from '../../src/store/changes.js';
import { CONTENT_DIR, FAILING_FIXTURES, TEXT_FIXTURES, ZIP_BOMB } from '../fixtures/content-fixtures.js';
import { conformanceEngine } from '../../src/testing/engine.js';
import { useHarness, type Harness } from '../support/harness.js';
import { documents } from '../support/sample.js';

const MAX_BYTES = 512 * 1024;

function fixtureFolder(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'docsync-fs-'));
  cpSync(CONTENT_DIR, root, { recursive: true });
  writeFileSync(path.join(root, 'huge.txt'), 'x'.repeat(MAX_BYTES + 1)); // over the download cap
  writeFileSync(path.join(root, 'empty.txt'), '');
  return root;
}

async function syncFolder(h: Harness, userId: string, root: string): Promise<{ sync: ConformanceSync; engine: ConformanceEngine }> {
  const engine = conformanceEngine(h);
  const sync = await engine.startSync({
    connector: 'filesystem',
    userId,
    config: { root, pageSize: 5 },
    options: { syncIntervalSeconds: 3600, docMaxAttempts: 2 },
  });
  return { sync, engine };
}

for (const mode of ['built-in extractors', 'Apache Tika'] as const) {
  describe(`filesystem sync of the fixture folder (${mode})`, () => {
    let tika: Awaited<ReturnType<typeof startTika>> | undefined;
    const h = useHarness(mode === 'Apache Tika' ? 'fs_tika' : 'fs_builtin', {
      async setup(h) {
        if (mode === 'Apache Tika') tika = await startTika();
        // tikaUrl '' forces the built-ins even when TIKA_URL is set in the environment.
        await h.startWorker({ limits: { maxBytes: MAX_BYTES }, tikaUrl: tika?.url ?? '' });
      },
      teardown: async () => tika?.stop(),
      timeout: 240_000,
    });

    it('stores text for every supported type, marks bad files with reasons, and a re-sync does no work', async () => {
      const userId = mode === 'Apache Tika' ? 'fs-tika' : 'fs-builtin';
      const { sync } = await syncFolder(h, userId, fixtureFolder());
      const total = TEXT_FIXTURES.length + FAILING_FIXTURES.length + 3; // + bomb, huge, empty
      const first = await waitForStatus(
        sync,
        (s) =>
          s.phase === 'idle' &&
          s.inFlight === 0 &&
          s.counters.fetched + s.counters.skipped + s.counters.failed + s.counters.unchanged === total,
        120_000,
      );
      const rows = await documents(h.pool, 'filesystem', userId);
      expect([...rows.keys()].sort(), JSON.stringify([...rows.values()].map((r) => [r.external_id, r.status, r.error]))).toHaveLength(
        total,
      );
      for (const fixture of TEXT_FIXTURES) {
        const row = rows.get(fixture.file)!;
        expect(row.status, `${fixture.file}: ${row.error}`).toBe('fetched');
        for (const word of fixture.expect) expect(row.text, fixture.file).toContain(word);
        for (const word of fixture.absent ?? []) expect(row.text, fixture.file).not.toContain(word);
      }
      for (const fixture of FAILING_FIXTURES) {
        const row = rows.get(fixture.file)!;
        // Built-ins fail damaged files with the parser's error; Tika answers 422 (unsupported).
        if (fixture.fails === 'unsupported' || mode === 'Apache Tika') expect(['skipped', 'failed']).toContain(row.status);
        else expect(row.status).toBe('failed');
        expect(row.error, fixture.file).toBeTruthy();
      }
      if (mode === 'built-in extractors') {
        const bomb = rows.get(ZIP_BOMB.file)!;
        expect(bomb.status).toBe('skipped');
        expect(bomb.error).toMatch(/unzip|decompress|bytes|entries/i);
      }
      expect(rows.get('huge.txt')!.status).toBe('skipped');
      expect(rows.get('huge.txt')!.error).toContain(`${MAX_BYTES}-byte download cap`);
      expect(rows.get('empty.txt')!.status).toBe('fetched');
      expect(rows.get('empty.txt')!.text).toBe('');

      const seqAfterFirst = await latestChangeSeq(h.pool);
      await sync.signal('syncNow');
      const second = await waitForStatus(sync, (s) => s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== first.lastSyncAt);
      // Zero downloads and zero extractions: no document child ran, nothing was (re)listed as changed.
      const work = (s: typeof first) => s.counters.fetched + s.counters.unchanged + s.counters.skipped + s.counters.failed;
      expect(work(second)).toBe(work(first));
      expect(second.counters.listed).toBe(first.counters.listed);
      expect(await readChanges(h.pool, { since: seqAfterFirst, userId })).toEqual([]);
      await sync.signal('cancel');
      await sync.result();
    }, 240_000);
  });
}

describe('filesystem conformance', () => {
  const h = useHarness('conf_fs', { worker: { tikaUrl: '' } });

  defineConformanceSuite(
    { describe, it, beforeAll, afterAll, expect },
    {
      connector: 'filesystem',
      invalidConfig: { config: { root: 'relative/path', pageSize: 0 }, fields: ['root', 'pageSize'] },
      async createSource() {
        const root = mkdtempSync(path.join(os.tmpdir(), 'docsync-fsconf-'));
        const file = (name: string) => path.join(root, name);
        return {
          config: { root, pageSize: 2 },
          add: (name, content) => fs.writeFile(file(name), content),
          modify: (name, content) => fs.writeFile(file(name), content),
          remove: (name) => fs.rm(file(name)),
          removeSilently: (name) => fs.rm(file(name)),
          // Every sync is a full stat-only walk with a sweep: there is no cursor to invalidate.
          invalidateCursor: async () => undefined,
        };
      },
    },
    () => conformanceEngine(h),
  );
});
