// Bad input never corrupts anything: a bad config or unknown connector fails fast with a
// ConfigError naming the problem; a document that cannot be retrieved fails alone.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { eventually, useHarness } from '../support/harness.js';
import { documents, newSampleSource, seedThreeDocs } from '../support/sample.js';

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('bad input', () => {
  const h = useHarness('badinput', { worker: true });

  it('given an invalid sample config, the workflow fails fast with a non-retryable ConfigError naming each bad field', async () => {
    const handle = await h.startSync({ connector: 'sample', userId: 'bad', config: { pageSize: 'ten' } });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('ConfigError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('sourceDir');
    expect(failure.message).toContain('pageSize');
    const history = await handle.fetchHistory();
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toEqual([1]); // not retried
  });

  it('given an unknown connector name, the workflow fails with a ConfigError listing the built-ins', async () => {
    const handle = await h.startSync({ connector: 'nope', userId: 'x', config: {} });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('ConfigError');
    expect(failure.message).toContain('unknown connector "nope"');
    expect(failure.message).toContain('sample');
  });

  it('given secrets in the workflow input config, the workflow refuses them by field name without echoing them', async () => {
    const handle = await h.startSync({
      connector: 'dropbox',
      userId: 'leaky',
      config: { appKey: 'k', appSecret: 'app-secret-value-123', refreshToken: 'refresh-value-456' },
    });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('ConfigError');
    expect(failure.message).toContain('appSecret, refreshToken');
    expect(failure.message).toContain('docsync connect dropbox --user leaky');
    expect(failure.message).not.toContain('app-secret-value-123');
    expect(failure.message).not.toContain('refresh-value-456');
  });

  it('given one document whose retrieval throws, only that document is marked failed and the sync completes', async () => {
    const source = newSampleSource();
    await seedThreeDocs(source);
    await source.failRetrieval('doc-2', 'disk on fire');
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'onebad',
      config: { sourceDir: source.dir },
      options: { syncIntervalSeconds: 3600, docMaxAttempts: 2 },
    });
    const s = await eventually(async () => {
      const st = await h.status(handle);
      return st.phase === 'idle' && st.counters.fetched + st.counters.failed === 3 && st;
    });
    expect(s.counters).toMatchObject({ fetched: 2, failed: 1 });
    const rows = await documents(h.pool, 'sample', 'onebad');
    expect(rows.get('doc-2')!.status).toBe('failed');
    expect(rows.get('doc-2')!.error).toContain('disk on fire');
    expect(rows.get('doc-1')!.status).toBe('fetched');
    expect(rows.get('doc-3')!.status).toBe('fetched');
    const run = (await h.pool.query("SELECT errors, outcome FROM sync_runs WHERE user_id = 'onebad'")).rows[0];
    expect(run).toMatchObject({ errors: 1, outcome: 'completed' });
    const calls = (await source.calls()).filter((c) => c.op === 'retrieveData' && c.id === 'doc-2');
    expect(calls).toHaveLength(2); // docMaxAttempts
  });
});
