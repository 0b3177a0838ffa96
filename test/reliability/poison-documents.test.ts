// Poison documents on a real Temporal + Postgres: a document that keeps failing is parked with
// its attempts and last error, never blocks the rest of the sync, is retried by the next sync
// (the sample source's incremental listing does not list it again) and by `docsync docs retry`.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DocumentRow } from '../../src/store/documents.js';
import { MAX_ERROR_CHARS } from '../../src/store/parked.js';
import { eventually, TEST_SECRET_KEY, useHarness, type Harness } from '../support/harness.js';
import { documents, newSampleSource, seedThreeDocs } from '../support/sample.js';
import { signalSync } from '../../src/workflows/client.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

describe('poison documents', () => {
  const h = useHarness('poison', { worker: true });

  const row = async (userId: string, id: string): Promise<DocumentRow> => (await documents(h.pool, 'sample', userId)).get(id)!;

  /** The three demo documents, one of which fails every retrieval with `message`, synced for `userId`. */
  async function syncWithPoison(userId: string, poisonId: string, message: string, docMaxAttempts: number) {
    const source = newSampleSource();
    await seedThreeDocs(source);
    await source.failRetrieval(poisonId, message);
    const handle = await h.startSync({
      connector: 'sample',
      userId,
      config: { sourceDir: source.dir, pageSize: 10 },
      options: { syncIntervalSeconds: 3600, docMaxAttempts },
    });
    return { source, handle };
  }

  it('given a document that always fails, it is parked after N attempts, retried by the next sync, and fetched once the source is fixed', async () => {
    const { source, handle } = await syncWithPoison('poison', 'doc-2', 'disk on fire', 2);
    const retrievals = async () => (await source.calls()).filter((c) => c.op === 'retrieveData' && c.id === 'doc-2').length;
    const caughtUp = (check: (s: Awaited<ReturnType<Harness['status']>>) => boolean, after?: string) =>
      eventually(async () => {
        const s = await h.status(handle);
        return s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== after && check(s) && s;
      });

    // First sync: the other documents are fetched; doc-2 is parked with attempts and the error.
    const first = await caughtUp((s) => s.counters.fetched === 2 && s.counters.failed === 1);
    let parked = await row('poison', 'doc-2');
    expect(parked).toMatchObject({ status: 'failed', attempts: 2 });
    expect(parked.error).toContain('disk on fire');
    expect(parked.parked_at).toBeInstanceOf(Date);
    expect((await row('poison', 'doc-1')).status).toBe('fetched');
    expect((await row('poison', 'doc-3')).status).toBe('fetched');
    expect(await retrievals()).toBe(2);

    // Next sync: nothing changed at the source, yet the parked document is tried again (N more attempts).
    await signalSync(handle, 'syncNow');
    const second = await caughtUp((s) => s.counters.failed === 2, first.lastSyncAt);
    parked = await row('poison', 'doc-2');
    expect(parked).toMatchObject({ status: 'failed', attempts: 4 });
    expect(await retrievals()).toBe(4);
    expect(second.counters.fetched).toBe(2); // the healthy documents were not fetched again

    // The source is fixed: the sync after that fetches it and it is no longer a dead letter.
    await source.failRetrieval('doc-2', null);
    await signalSync(handle, 'syncNow');
    await caughtUp((s) => s.counters.fetched === 3, second.lastSyncAt);
    const fixed = await row('poison', 'doc-2');
    expect(fixed).toMatchObject({ status: 'fetched', attempts: 0, parked_at: null, error: null });
    expect(fixed.text).toContain('Alice & Bob build docsync.');

    // A healthy, fetched document is not retried by later syncs.
    const before = await retrievals();
    const third = await h.status(handle);
    await signalSync(handle, 'syncNow');
    await caughtUp(() => true, third.lastSyncAt);
    expect(await retrievals()).toBe(before);
    await signalSync(handle, 'cancel');
  });

  it('given a parked document, `docsync docs retry` queues it and starts a sync that fetches it', async () => {
    // A provider answering with a whole page of text: the stored error is clipped, its start kept.
    const { source, handle } = await syncWithPoison('retrycli', 'doc-3', `permission denied at the source ${'<p>'.repeat(3000)}`, 1);
    const parked = await eventually(async () => {
      const r = await row('retrycli', 'doc-3');
      return r?.status === 'failed' && r;
    });
    expect(parked.error).toMatch(/^permission denied at the source <p>/);
    expect(parked.error!.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 1);
    await source.failRetrieval('doc-3', null);

    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      TEMPORAL_NAMESPACE: h.namespace,
      DOCSYNC_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.databaseUrl,
      DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
      DOCSYNC_HOME: path.join(source.dir, '.docsync'),
    };
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'docsync.mjs'), ...args], { env, timeout: 60_000 });
    const { stdout } = await cli('docs', 'retry', 'sample', 'retrycli', 'doc-3');
    expect(stdout).toContain('queued doc-3 for retry');
    expect(stdout).toContain('sent syncNow');
    const fetched = await eventually(async () => {
      const r = await row('retrycli', 'doc-3');
      return r.status === 'fetched' && r;
    });
    expect(fetched.text).toContain('water the plants');

    const missing = await cli('docs', 'retry', 'sample', 'retrycli', 'no-such-doc').then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing?.code).toBe(4);
    expect(missing?.stderr).toContain('no live document "no-such-doc" for sample/retrycli');
    await signalSync(handle, 'cancel');
  });
});
