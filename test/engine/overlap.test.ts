// Listing overlaps downloads: syncUser lists page N+1 while page N's batches are still running
// (read from the workflow's own history, not from timings), and every document still arrives once.
import { tsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { changes, documents, newSampleSource } from '../support/sample.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Scheduled event id → activity type, for the activities of one run. */
function activityTypes(events: HistoryEvent[]): Map<string, string> {
  const types = new Map<string, string>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(e.eventId), scheduled.activityType!.name!);
  }
  return types;
}

/**
 * The listing of page 2 and the workflow task it was scheduled in, with the batches that task scheduled
 * before it. Page 1 is then the only page fetching, so the workflow lists page 2 in the very task that
 * starts page 1's batches (without overlap it would wait for them to finish). Later pages may wait for
 * the page before the previous one (two pages fetch at once), so whether their batches are still open
 * depends on the machine's speed and is not asserted.
 */
function secondListing(events: HistoryEvent[]): { batchesBefore: number; open: number } {
  const types = activityTypes(events);
  const listings = events.filter((e) => types.get(String(e.eventId)) === 'retrieveMetadata');
  const second = listings[1];
  const task = String(second.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId);
  const before = events.filter((e) => Number(e.eventId) < Number(second.eventId));
  const batchesBefore = before.filter(
    (e) =>
      types.get(String(e.eventId)) === 'retrieveDataBatch' &&
      String(e.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId) === task,
  ).length;
  const closedBefore = new Set(
    before.map((e) => (e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes)?.scheduledEventId).map(String),
  );
  const open = before.filter((e) => types.get(String(e.eventId)) === 'retrieveDataBatch' && !closedBefore.has(String(e.eventId))).length;
  return { batchesBefore, open };
}

describe('listing overlaps downloads', () => {
  const h = useHarness('overlap');

  it('given five pages of small documents, each next page is listed while the previous one downloads, and every document is fetched once', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 100; i++) await source.put(`o${String(i).padStart(3, '0')}`, { title: `O${i}`, content: `overlap ${i}` });
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'olga',
      config: { sourceDir: source.dir, pageSize: 20 },
      options: { once: true, batchSize: 10 },
    });
    await handle.result();
    const status = await h.status(handle);
    expect(status.counters).toMatchObject({ pages: 5, listed: 100, fetched: 100, failed: 0 });
    const rows = [...(await documents(h.pool, 'sample', 'olga')).values()];
    expect(rows.filter((r) => r.status === 'fetched')).toHaveLength(100);
    // One upsert per document: nothing was fetched (or recorded) twice.
    const feed = await changes(h.pool, 'sample', 'olga');
    expect(feed.filter((c) => c.kind === 'upsert')).toHaveLength(100);

    const events = (await handle.fetchHistory()).events!;
    // Page 1 (20 documents, batches of 10) starts its two batches, and page 2 is listed in the same
    // workflow task, while both are open.
    expect(secondListing(events)).toEqual({ batchesBefore: 2, open: 2 });
    await worker.stop();
  });

  it('given a batch refused with a rate limit, its documents wait out the hold and go into later batches, not children', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 30; i++) await source.put(`q${String(i).padStart(2, '0')}`, { title: `Q${i}`, content: `quota ${i}` });
    await source.rateLimitNextCalls(1, 2_000, 'retrieveData');
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'quinn',
      config: { sourceDir: source.dir, pageSize: 30 },
      options: { once: true, batchSize: 5 },
    });
    await handle.result();
    const status = await h.status(handle);
    expect(status.counters).toMatchObject({ listed: 30, fetched: 30, failed: 0 });
    // Calls already on their way when the first refusal came back may be refused too.
    const refused = (await source.calls()).filter((c) => c.op === 'retrieveData' && c.outcome === 'rate-limited');
    expect(refused.length).toBeGreaterThanOrEqual(1);

    const events = (await handle.fetchHistory()).events!;
    expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    // The batch that met the refusal reports its retryAt; no batch is scheduled after that report
    // and before the retryAt (a durable timer, not a child per document).
    const types = activityTypes(events);
    const refusal = events.findIndex((e) => {
      const done = e.activityTaskCompletedEventAttributes;
      if (!done || types.get(String(done.scheduledEventId)) !== 'retrieveDataBatch') return false;
      return JSON.parse(Buffer.from(done.result!.payloads![0].data!).toString('utf8')).retryAt !== undefined;
    });
    expect(refusal).toBeGreaterThan(0);
    const result = JSON.parse(
      Buffer.from(events[refusal].activityTaskCompletedEventAttributes!.result!.payloads![0].data!).toString('utf8'),
    );
    const retryAt = new Date(result.retryAt).getTime();
    const batchesAfter = events
      .slice(refusal)
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'retrieveDataBatch');
    expect(batchesAfter.length).toBeGreaterThan(0);
    for (const batch of batchesAfter) expect(tsToMs(batch.eventTime)).toBeGreaterThanOrEqual(retryAt);
    await worker.stop();
  });
});
