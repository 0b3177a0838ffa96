// The reduced chaos run inside `npm test`: a few hundred Dropbox files synced while the worker
// process is killed with SIGKILL twice and Temporal and Postgres are restarted (own services, not
// the shared ones), after a short 429 storm. `npm run chaos` is the full 10,000-file version.
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos/run.js';
import { formatReport } from '../../scripts/chaos/report.js';

describe('chaos: crashes and restarts during a Dropbox sync', () => {
  it('given 2 worker kill -9s, a Temporal restart and a Postgres restart, every document arrives exactly once', async () => {
    const report = await runChaos({
      docs: 200,
      kills: 2,
      restartTemporal: true,
      restartPostgres: true,
      pageSize: 40,
      maxInFlight: 20,
      batchLanes: 4,
      storm: { every: 3, times: 3, retryAfterSeconds: 1 },
      schedule: 'burst',
      burstGapMs: 1000,
      seed: 7,
      timeoutMs: 170_000,
      log: () => undefined,
    });
    console.log(formatReport(report));
    expect(report.failures).toEqual([]);
    expect(report.disruptions.map((d) => d.kind)).toEqual(['kill', 'kill', 'restart-temporal', 'restart-postgres']);
    expect(report.store.lost).toEqual([]);
    expect(report.store.stored).toBe(200);
    expect(report.store.duplicates).toBe(0);
    expect(report.store.changes).toMatchObject({ upserts: 200, contents: 200, docsWithoutFullFeed: 0, duplicateChanges: 0 });
    expect(report.feedMissedByLiveReader).toBe(0);
    expect(report.listing.relistedFromScratch).toBe(0);
    expect(report.listing.pagesRepeated).toBeLessThanOrEqual(2);
    expect(report.store.syncRuns).toMatchObject({ rows: 1, pages: report.listing.pagesServed, upserts: 200, problems: [] });
    expect(report.waits.announced).toBeGreaterThan(0);
    expect(report.waits.inside).toBe(0);
    expect(report.killsSurvived).toBe(2);
  }, 200_000);
});
