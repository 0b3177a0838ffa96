// Operators see how a sync ended: a failed sync keeps phase `failed` (search attribute too) with its
// error, a cancelled one ends CANCELED with phase `cancelled`, and `docsync status` lists both.
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../../src/workflows/definitions.js';
import { cliEnv, docsync } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { maybeRecordHistory, newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('failed and cancelled syncs stay visible', () => {
  const h = useHarness('visibility', { worker: true });

  it('a sync that fails sets phase failed with its error before the workflow fails', async () => {
    const source = newSampleSource();
    // A config the activity refuses: a ConfigError ends the sync (nothing to wait for).
    const handle = await h.startSync({ connector: 'sample', userId: 'fay', config: { sourceDir: source.dir, pageSize: -1 } });
    await expect(handle.result()).rejects.toThrow();
    const described = await handle.describe();
    expect(described.status.name).toBe('FAILED');
    expect(described.typedSearchAttributes.get(searchAttributes.phase)).toBe('failed');
    const status = await h.status(handle);
    expect(status.phase).toBe('failed');
    expect(status.lastError).toContain('pageSize');
    await maybeRecordHistory(handle, 'sample-failed-sync');

    const env = cliEnv(h, source.dir);
    const listed = await eventually(async () => {
      const out = await docsync(['status', '--closed'], { env });
      return out.stdout.includes('sample/fay') && out;
    });
    expect(listed.stdout).toMatch(/sample\/fay\s*│\s*failed/);
    expect(listed.stdout).toMatch(/FAILED \d{4}-\d\d-\d\dT/);
    expect(listed.stdout).toContain('pageSize');
    const open = await docsync(['status', '--open'], { env });
    expect(open.stdout).not.toContain('sample/fay');
    const both = await docsync(['status', '--open', '--closed'], { env });
    expect(both.code).toBe(2);
  });

  it('docsync cancel ends the sync as CANCELED with phase cancelled; default status lists it as recently closed', async () => {
    const source = newSampleSource();
    await seedThreeDocs(source);
    const env = cliEnv(h, source.dir);
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'cid',
      config: { sourceDir: source.dir },
      options: { syncIntervalSeconds: 3600 },
    });
    await eventually(async () => {
      const s = await h.status(handle);
      return s.phase === 'idle' && s.counters.fetched === 3;
    });
    const cancelled = await docsync(['cancel', 'sample', 'cid'], { env });
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('requested cancellation of sync/sample/cid');
    await expect(handle.result()).rejects.toThrow();
    const described = await handle.describe();
    expect(described.status.name).toBe('CANCELLED');
    expect(described.typedSearchAttributes.get(searchAttributes.phase)).toBe('cancelled');
    expect((await h.status(handle)).phase).toBe('cancelled');
    await maybeRecordHistory(handle, 'sample-cancelled-sync');

    const listed = await eventually(async () => {
      const out = await docsync(['status'], { env });
      return out.stdout.includes('sample/cid') && out;
    });
    expect(listed.stdout).toMatch(/sample\/cid\s*│\s*cancelled/);
    expect(listed.stdout).toContain('CANCELLED');
  });

  it('a Temporal cancellation mid-wait also ends CANCELED with phase cancelled', async () => {
    const source = newSampleSource();
    await source.put('a', { title: 'A', content: 'alpha' });
    await source.rateLimitNextCalls(1, 600_000, 'retrieveMetadata');
    const handle = await h.startSync({ connector: 'sample', userId: 'tem', config: { sourceDir: source.dir } });
    await eventually(async () => (await h.status(handle)).phase === 'rate-limited');
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect((await h.status(handle)).phase).toBe('cancelled');
  });
});
