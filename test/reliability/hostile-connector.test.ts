// Hostile listings from a connector, through the real engine: duplicate ids in one page and
// cursors (milestones) that are oversized or not objects, which the activity must refuse.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, useHarness } from '../support/harness.js';
import { changes, documents } from '../support/sample.js';
import { signalSync } from '../../src/workflows/client.js';

const HOSTILE = `${path.join(import.meta.dirname, 'hostile-connector.ts')}#HostileConnector`;

describe('hostile listings', () => {
  const h = useHarness('hostile_listing', { worker: true });

  it('given a page listing the same id twice, the last entry wins: one row, one change, one download', async () => {
    const handle = await h.startSync({
      connector: HOSTILE,
      userId: 'dup',
      config: { misbehave: 'duplicate-ids' },
      options: { syncIntervalSeconds: 3600 },
    });
    const s = await eventually(async () => {
      const st = await h.status(handle);
      return st.phase === 'idle' && st.inFlight === 0 && st.counters.fetched === 2 && st;
    });
    expect(s.counters.listed).toBe(2);
    const rows = await documents(h.pool, HOSTILE, 'dup');
    expect([...rows.keys()]).toEqual(['a', 'b']);
    expect(rows.get('a')).toMatchObject({ version: 'v2', status: 'fetched', text: 'a at v2' });
    const feed = await changes(h.pool, HOSTILE, 'dup');
    expect(feed.filter((c) => c.external_id === 'a').map((c) => c.kind)).toEqual(['upsert', 'content']);
    await signalSync(handle, 'cancel');
  });

  it.each([
    ['huge-milestone', /returned a milestone of 200\d\d bytes \(limit 16384 bytes as JSON\)/],
    ['array-milestone', /returned a milestone that is not a JSON object \(array\)/],
  ])(
    'given a connector returning a %s, listing fails once (not retried) with a clear error and nothing of the page is stored',
    async (misbehave, message) => {
      const userId = misbehave;
      const handle = await h.startSync({ connector: HOSTILE, userId, config: { misbehave }, options: { syncIntervalSeconds: 3600 } });
      const s = await eventually(async () => {
        const st = await h.status(handle);
        return st.phase === 'failed' && st;
      });
      expect(s.lastError).toMatch(message);
      expect(s.lastError).toContain(`connector "${HOSTILE}"`);
      const history = await handle.fetchHistory();
      const failed = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      expect(failed[0].activityTaskFailedEventAttributes!.failure!.applicationFailureInfo).toMatchObject({
        type: 'MilestoneTooLargeError',
        nonRetryable: true,
      });
      expect((await documents(h.pool, HOSTILE, userId)).size).toBe(0);
      await signalSync(handle, 'cancel');
    },
  );
});
