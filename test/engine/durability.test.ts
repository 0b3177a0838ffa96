// Durability scenarios: rate-limit waits that survive a worker restart, a sync that resumes
// mid-listing after its worker stops, and continue-as-new keeping the milestone and counters.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { temporalCliPath } from '../../src/devstack/temporal.js';
import { shortHash, syncNowSignal } from '../../src/workflows/definitions.js';
import { eventually, useHarness } from '../support/harness.js';
import { changes, documents, maybeRecordHistory, newSampleSource } from '../support/sample.js';

const exec = promisify(execFile);

describe('durability on a real Temporal dev server', () => {
  const h = useHarness('durability');

  it('given a rate-limited source, no call reaches it before retryAt, and the wait survives a worker restart', async () => {
    const source = newSampleSource();
    await source.put('a', { title: 'A', content: 'alpha' });
    // The refusal's retry-after counts from the call itself, so a slow worker start cannot eat the wait.
    await source.rateLimitNextCalls(1, 6_000, 'retrieveMetadata');
    let worker = await h.startWorker();
    const startedAt = Date.now();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'rl',
      config: { sourceDir: source.dir },
      options: { syncIntervalSeconds: 3600 },
    });
    const limited = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'rate-limited' && s;
    });
    const refused = (await source.calls())[0];
    expect(refused).toMatchObject({ op: 'retrieveMetadata', outcome: 'rate-limited' });
    const retryAt = new Date(limited.nextSyncAt!);
    // 6 s from the refused call itself (the journal stamps the call a moment after it computed retryAt).
    expect(retryAt.getTime()).toBeGreaterThanOrEqual(startedAt + 6_000);
    expect(retryAt.getTime()).toBeLessThanOrEqual(new Date(refused.at).getTime() + 6_000);
    const described = await handle.describe();
    expect(described.searchAttributes.DocsyncPhase).toEqual(['rate-limited']);
    // Operators find it the way the README says: by search attribute, with the real CLI.
    const listed = await eventually(async () => {
      const { stdout } = await exec(temporalCliPath(), [
        'workflow',
        'list',
        '--address',
        h.address,
        '--query',
        `DocsyncPhase="rate-limited" AND DocsyncConnector="sample" AND DocsyncUser="rl"`,
        '--output',
        'json',
      ]);
      return stdout.includes('sync/sample/rl') && stdout;
    }, 20_000);
    expect(listed).toContain('sync/sample/rl');

    // The worker goes away during the wait; a new one takes over the durable timer.
    await worker.stop();
    worker = await h.startWorker();
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 1 && s;
    });
    expect(done.counters.rateLimitWaits).toBe(1);
    const calls = await source.calls();
    expect(calls[0].outcome).toBe('rate-limited');
    expect(calls.slice(1).length).toBeGreaterThan(0);
    for (const call of calls.slice(1)) expect(new Date(call.at).getTime()).toBeGreaterThanOrEqual(retryAt.getTime());
    expect((await documents(h.pool, 'sample', 'rl')).get('a')!.text).toBe('alpha');
    // The workflow counts the refusal itself: only the listing call right after it carries the streak.
    const listings = (await handle.fetchHistory())
      .events!.map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'retrieveMetadata')
      .map((a) => JSON.parse(Buffer.from(a!.input!.payloads![0].data!).toString()) as { rateLimitStreak?: number });
    expect(listings.map((input) => input.rateLimitStreak)).toEqual([undefined, 1, ...listings.slice(2).map(() => undefined)]);
    await maybeRecordHistory(handle, 'sample-rate-limit-restart');
    await worker.stop();
  });

  it('given a worker stopped after page 2 is committed, a new worker continues from page 3 without re-listing', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 10; i++) await source.put(`d${String(i).padStart(2, '0')}`, { title: `Doc ${i}`, content: `content ${i}` });
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'crash',
      config: { sourceDir: source.dir, pageSize: 2, listDelayMs: 400 },
      options: { syncIntervalSeconds: 3600 },
    });
    await eventually(async () => {
      const r = await h.pool.query("SELECT pages FROM sync_runs WHERE connector = 'sample' AND user_id = 'crash'");
      return r.rows[0]?.pages >= 2;
    });
    await worker.stop();
    const pagesAtStop = (await h.pool.query("SELECT pages FROM sync_runs WHERE user_id = 'crash'")).rows[0].pages;
    expect(pagesAtStop).toBeLessThan(5);

    const second = await h.startWorker();
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 10 && s;
    });
    expect(done.counters.listed).toBe(10);
    const listings = (await source.calls()).filter((c) => c.op === 'retrieveMetadata');
    // Each page was asked for exactly once: no milestone repeats, and only the first call started from scratch.
    const milestones = listings.map((c) => JSON.stringify(c.milestone));
    expect(new Set(milestones).size).toBe(milestones.length);
    expect(milestones.filter((m) => m === '{}')).toHaveLength(1);
    expect(listings).toHaveLength(5);
    const rows = await documents(h.pool, 'sample', 'crash');
    expect(rows.size).toBe(10);
    const upserts = (await changes(h.pool, 'sample', 'crash')).filter((c) => c.kind === 'upsert');
    expect(upserts).toHaveLength(10);
    expect(new Set(upserts.map((c) => c.external_id)).size).toBe(10);
    await second.stop();
  });

  it('given a download refused with a rate limit, the user holds every new download until retryAt', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 8; i++) await source.put(`r${i}`, { title: `R${i}`, content: `rate ${i}` });
    await source.rateLimitNextCalls(1, 3_000, 'retrieveData');
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'hold',
      config: { sourceDir: source.dir, pageSize: 8 },
      options: { syncIntervalSeconds: 3600, maxInFlight: 2, batchSize: 1 }, // a child per document
    });
    const held = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'rate-limited' && s;
    });
    expect(held.waitReason).toContain('downloads held');
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 8 && s;
    });
    expect(done.counters.failed).toBe(0);
    const refused = (await source.calls()).find((c) => c.op === 'retrieveData' && c.outcome === 'rate-limited')!;
    // The parent's own history: once a child has reported the refusal, no new child starts before
    // its retryAt (children already running may still make their one call; that is the window).
    const events = (await handle.fetchHistory()).events!;
    const reported = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'docRateLimited');
    expect(reported).toBeGreaterThan(0);
    const payload = events[reported].workflowExecutionSignaledEventAttributes!.input!.payloads![0];
    const retryAt = new Date(JSON.parse(Buffer.from(payload.data!).toString('utf8')).retryAt).getTime();
    const startsAfter = events.slice(reported).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(startsAfter.length).toBeGreaterThan(0);
    for (const start of startsAfter) expect(tsToMs(start.eventTime)).toBeGreaterThanOrEqual(retryAt);
    const child = h.client.workflow.getHandle(`doc/sample/hold/${refused.id}/${shortHash('1')}`);
    await maybeRecordHistory(child, 'sample-child-rate-limited');
    await maybeRecordHistory(handle, 'sample-download-hold');
    await worker.stop();
  });

  it('given a metadata-only sync, every document is listed, nothing is downloaded and no document ref enters history', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 6; i++) await source.put(`m${i}`, { title: `M${i}`, content: `meta ${i}` });
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'meta',
      config: { sourceDir: source.dir, pageSize: 4 },
      options: { syncIntervalSeconds: 3600, fetchContent: false },
    });
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.listed === 6 && s;
    });
    expect(done.counters).toMatchObject({ pages: 2, fetched: 0 });
    const rows = await documents(h.pool, 'sample', 'meta');
    expect([...rows.values()].map((r) => r.status)).toEqual(Array(6).fill('pending'));
    expect((await source.calls()).filter((c) => c.op === 'retrieveData')).toHaveLength(0);
    const history = (await handle.fetchHistory())
      .events!.flatMap((e) => e.activityTaskCompletedEventAttributes?.result?.payloads ?? [])
      .map((p) => Buffer.from(p.data!).toString('utf8'))
      .join('\n');
    expect(history).toContain('"toFetch":[]');
    expect(history).not.toContain('m1');
    await maybeRecordHistory(handle, 'sample-metadata-only');
    await worker.stop();
  });

  it('given pages of many documents, each run continues-as-new before its history passes maxHistoryEvents', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 40; i++) await source.put(`e${String(i).padStart(2, '0')}`, { title: `E${i}`, content: `event ${i}` });
    const worker = await h.startWorker();
    const maxHistoryEvents = 250;
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'events',
      config: { sourceDir: source.dir, pageSize: 10 },
      options: { syncIntervalSeconds: 3600, maxInFlight: 4, maxHistoryEvents, batchSize: 1 }, // children cost the most events
    });
    const done = await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 40 && s;
    });
    expect(done.counters).toMatchObject({ listed: 40, failed: 0 });
    // Walk the chain of runs back from the latest through continuedExecutionRunId.
    const lengths: number[] = [];
    let runId: string | undefined = (await handle.describe()).runId;
    while (runId) {
      const run: WorkflowHandle = h.client.workflow.getHandle(handle.workflowId, runId);
      const events = (await run.fetchHistory()).events!;
      lengths.push(events.length);
      const previous: string | null | undefined = events[0].workflowExecutionStartedEventAttributes!.continuedExecutionRunId;
      runId = previous || undefined;
    }
    expect(lengths.length).toBeGreaterThanOrEqual(2);
    for (const length of lengths) expect(length).toBeLessThan(maxHistoryEvents);
    await maybeRecordHistory(handle, 'sample-history-budget');
    await worker.stop();
  });

  it('given a small page limit, continue-as-new carries the milestone and counters across runs', async () => {
    const source = newSampleSource();
    for (let i = 1; i <= 9; i++) await source.put(`n${i}`, { title: `N${i}`, content: `note ${i}` });
    const worker = await h.startWorker();
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'can',
      config: { sourceDir: source.dir, pageSize: 2 },
      options: { syncIntervalSeconds: 3600, pagesPerRun: 2, maxInFlight: 3 },
    });
    const firstRunId = (await handle.describe()).runId;
    let lastSeen: unknown;
    const done = await eventually(async () => {
      const s = await h.status(handle);
      lastSeen = s;
      return s.phase === 'idle' && s.counters.fetched === 9 && s;
    }).catch(async (err) => {
      const hist = await handle.fetchHistory();
      const fails = hist
        .events!.filter((e) => e.workflowTaskFailedEventAttributes)
        .map((e) => e.workflowTaskFailedEventAttributes!.failure?.message);
      throw new Error(`${err.message}; last status ${JSON.stringify(lastSeen)}; task failures ${JSON.stringify(fails.slice(0, 2))}`);
    });
    expect(done.runsSoFar).toBeGreaterThanOrEqual(2);
    expect(done.counters).toMatchObject({ listed: 9, fetched: 9, pages: 5, failed: 0 });
    expect((await handle.describe()).runId).not.toBe(firstRunId);

    // A change after continue-as-new is picked up incrementally from the carried milestone.
    await source.put('n10', { title: 'N10', content: 'note 10' });
    await handle.signal(syncNowSignal);
    const after = await eventually(async () => {
      const s = await h.status(handle);
      return s.counters.fetched === 10 && s.phase === 'idle' && s;
    });
    expect(after.counters.listed).toBe(10);
    const listings = (await source.calls()).filter((c) => c.op === 'retrieveMetadata');
    expect(listings.filter((c) => JSON.stringify(c.milestone) === '{}')).toHaveLength(1);
    await worker.stop();
  });
});
