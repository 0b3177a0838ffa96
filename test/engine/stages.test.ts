// The original framework's four demo stages, end to end on a real Temporal dev server and a
// real Postgres: create, extract, delete, rate limit.
import { describe, expect, it } from 'vitest';
import { stageDeleteDocTwo, stageRateLimit } from '../../src/connectors/sample/stages.js';
import { syncNowSignal } from '../../src/workflows/definitions.js';
import { eventually, useHarness } from '../support/harness.js';
import { changes, documents, maybeRecordHistory, newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('sample connector: the four demo stages', () => {
  const source = newSampleSource();
  const input = {
    connector: 'sample',
    userId: 'alice',
    config: { sourceDir: source.dir, pageSize: 2 },
    options: { syncIntervalSeconds: 3600 },
  };

  const h = useHarness('stages', { worker: true });

  it('runs create → extract → delete → rate limit on one long-lived workflow', async () => {
    // Stage 1: three documents at the source; the first sync lists their metadata.
    await seedThreeDocs(source);
    const handle = await h.startSync(input);
    expect(handle.workflowId).toBe('sync/sample/alice');

    // Stage 2: every document's child workflow stores its text.
    const afterFirst = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 3 && s;
    });
    expect(afterFirst.counters).toMatchObject({ listed: 3, fetched: 3, failed: 0, deleted: 0 });
    expect(afterFirst.counters.pages).toBeGreaterThanOrEqual(2); // pageSize 2 → paged listing
    let rows = await documents(h.pool, 'sample', 'alice');
    expect([...rows.keys()]).toEqual(['doc-1', 'doc-2', 'doc-3']);
    expect([...rows.values()].map((r) => r.status)).toEqual(['fetched', 'fetched', 'fetched']);
    expect(rows.get('doc-1')!.text).toBe('Revenue grew in the third quarter.');
    expect(rows.get('doc-2')!.text).toContain('Alice & Bob build docsync.');
    expect(rows.get('doc-2')!.text).not.toContain('ignored()');
    expect(rows.get('doc-1')!.content_sha256).toMatch(/^[0-9a-f]{64}$/);

    // Stage 3: document #2 disappears at the source; the next sync tombstones it.
    await stageDeleteDocTwo(source);
    await handle.signal(syncNowSignal);
    const afterDelete = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.deleted === 1 && s;
    });
    expect(afterDelete.counters.fetched).toBe(3);
    rows = await documents(h.pool, 'sample', 'alice');
    expect(rows.get('doc-2')!.deleted_at).not.toBeNull();
    expect(rows.get('doc-2')!.status).toBe('deleted');
    expect(rows.get('doc-1')!.deleted_at).toBeNull();
    const feed = await changes(h.pool, 'sample', 'alice');
    expect(feed.filter((c) => c.kind === 'delete').map((c) => c.external_id)).toEqual(['doc-2']);
    expect(
      feed
        .filter((c) => c.kind === 'upsert')
        .map((c) => c.external_id)
        .sort(),
    ).toEqual(['doc-1', 'doc-2', 'doc-3']);

    // Stage 4: the source rate-limits; the workflow sleeps durably until retryAt, then finishes.
    // Long enough that a busy machine still sees the wait before it ends.
    const retryAt = new Date(Date.now() + 10_000);
    await stageRateLimit(source, retryAt);
    await handle.signal(syncNowSignal);
    const limited = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'rate-limited' && s;
    });
    expect(limited.nextSyncAt).toBe(retryAt.toISOString());
    expect(limited.waitReason).toContain('rate limit');
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 4 && s;
    });
    expect(done.counters.rateLimitWaits).toBe(1);
    const calls = await source.calls();
    const limitedCall = calls.findIndex((c) => c.outcome === 'rate-limited');
    expect(limitedCall).toBeGreaterThan(0);
    const later = calls.slice(limitedCall + 1);
    expect(later.length).toBeGreaterThan(0);
    for (const call of later) expect(new Date(call.at).getTime()).toBeGreaterThanOrEqual(retryAt.getTime());
    rows = await documents(h.pool, 'sample', 'alice');
    expect(rows.get('doc-4')!.text).toBe('Fetched once the quota came back.');

    const described = await handle.describe();
    expect(described.searchAttributes.DocsyncPhase).toEqual(['idle']);
    expect(described.searchAttributes.DocsyncConnector).toEqual(['sample']);
    await maybeRecordHistory(handle, 'sample-four-stages');
  });
});
