// Options, the counted outcome of a chaos run, the pass/fail verdict and the printed summary.
import { userDownloadLimit } from '../../src/pipeline/fetch-batch.js';
import type { SyncCounters } from '../../src/workflows/types.js';
import type { ListingCheck, StoreCheck } from './verify.js';

export interface ChaosOptions {
  docs: number;
  kills: number;
  restartTemporal: boolean;
  restartPostgres: boolean;
  pageSize: number;
  maxInFlight: number;
  /** Batch activities at once (the workflow's `batchLanes`). */
  batchLanes: number;
  /** 429 + Retry-After on every `every`-th download (and listing) call, `times` times, before the disruptions. */
  storm: { every: number; times: number; retryAfterSeconds: number } | false;
  schedule: 'spread' | 'burst';
  /** 'burst': pause between two disruptions. */
  burstGapMs: number;
  seed: number;
  timeoutMs: number;
  log: (line: string) => void;
}

export const FULL_RUN: Omit<ChaosOptions, 'log' | 'seed'> = {
  docs: 10_000,
  kills: 5,
  restartTemporal: true,
  restartPostgres: true,
  pageSize: 100,
  maxInFlight: 20,
  batchLanes: 4,
  storm: { every: 3, times: 12, retryAfterSeconds: 2 },
  schedule: 'spread',
  burstGapMs: 3000,
  timeoutMs: 60 * 60_000,
};

export interface DisruptionRecord {
  kind: 'kill' | 'restart-temporal' | 'restart-postgres';
  detail: string;
  docsStored: number;
}

export interface ChaosFindings {
  durationMs: number;
  disruptions: DisruptionRecord[];
  workerUnexpectedExits: number;
  store: StoreCheck;
  listing: ListingCheck;
  feedMissedByLiveReader: number;
  waits: {
    announced: number;
    inside: number;
    insideDetails: string[];
    inFlightAtAnnouncement: number;
    maxConcurrentDownloads: number;
    maxConcurrentAfterWaits: number;
  };
  counters: SyncCounters;
}

export interface ChaosReport extends ChaosFindings {
  options: Omit<ChaosOptions, 'log'>;
  killsSurvived: number;
  ok: boolean;
  failures: string[];
}

/** Every disruption counts as survived only if the whole sync then ended complete and exact. */
export function judge(o: ChaosOptions, f: ChaosFindings): ChaosReport {
  const failures: string[] = [];
  const kills = f.disruptions.filter((d) => d.kind === 'kill').length;
  if (kills !== o.kills) failures.push(`${kills} of ${o.kills} planned kills happened`);
  if (f.store.lost.length) failures.push(`${f.store.lost.length} documents lost or wrong (first: ${f.store.lost.slice(0, 3).join(', ')})`);
  if (f.store.duplicates) failures.push(`${f.store.duplicates} duplicate document rows`);
  if (f.store.changes.docsWithoutFullFeed)
    failures.push(`${f.store.changes.docsWithoutFullFeed} documents without upsert+content in the change feed`);
  if (f.feedMissedByLiveReader) failures.push(`a live change-feed reader (seq cursor) missed ${f.feedMissedByLiveReader} rows`);
  if (f.store.changes.duplicateChanges) failures.push(`${f.store.changes.duplicateChanges} duplicate change-feed rows`);
  failures.push(...f.store.syncRuns.problems.map((p) => `sync_runs: ${p}`));
  if (f.store.syncRuns.pages !== f.listing.pagesServed)
    failures.push(`sync_runs has ${f.store.syncRuns.pages} pages, the fake served ${f.listing.pagesServed}`);
  if (f.listing.relistedFromScratch) failures.push(`listing restarted from scratch ${f.listing.relistedFromScratch} times`);
  if (f.listing.pagesRepeated > kills) failures.push(`${f.listing.pagesRepeated} pages asked twice for ${kills} kills`);
  if (f.waits.inside)
    failures.push(`${f.waits.inside} requests inside announced rate-limit waits: ${f.waits.insideDetails.slice(0, 5).join('; ')}`);
  if (f.waits.maxConcurrentDownloads > userDownloadLimit(o))
    failures.push(`${f.waits.maxConcurrentDownloads} downloads at once, window is ${userDownloadLimit(o)}`);
  const survived = failures.length === 0 ? kills : 0;
  const { log: _log, ...options } = o;
  return { ...f, options, killsSurvived: survived, ok: failures.length === 0, failures };
}

export function formatReport(r: ChaosReport): string {
  const restarts = (kind: DisruptionRecord['kind']) => r.disruptions.filter((d) => d.kind === kind).length;
  const survived = (kind: DisruptionRecord['kind'], planned: boolean) =>
    !planned ? 'not run' : restarts(kind) === 1 && r.ok ? 'survived' : restarts(kind) === 1 ? 'done, but the run failed' : 'did not happen';
  const lines = [
    `chaos: ${r.options.docs} documents, page size ${r.options.pageSize}, window ${r.options.maxInFlight} children + ${r.options.batchLanes} batch lanes, seed ${r.options.seed}, ${(r.durationMs / 1000).toFixed(1)} s`,
    `  worker kill -9:              ${r.killsSurvived}/${r.options.kills} survived (${r.disruptions
      .filter((d) => d.kind === 'kill')
      .map((d) => `${d.detail}@${d.docsStored}`)
      .join(', ')})`,
    `  worker exits on its own:     ${r.workerUnexpectedExits} (restarted by the supervisor loop)`,
    `  temporal server restart:     ${survived('restart-temporal', r.options.restartTemporal)}`,
    `  postgres restart:            ${survived('restart-postgres', r.options.restartPostgres)}`,
    `  documents lost:              ${r.store.lost.length} (stored ${r.store.stored}/${r.store.expected}, text checked)`,
    `  duplicates:                  ${r.store.duplicates} rows, ${r.store.changes.duplicateChanges} change-feed rows`,
    `  pages re-listed from scratch: ${r.listing.relistedFromScratch} (files/list_folder answered ${r.listing.relistedFromScratch + 1}x)`,
    `  pages asked twice:           ${r.listing.pagesRepeated} (same continue cursor after a crash between answer and commit; at most 1 per kill)`,
    `  pages served / committed:    ${r.listing.pagesServed} / ${r.store.syncRuns.pages} (sync_runs rows ${r.store.syncRuns.rows}, upserts ${r.store.syncRuns.upserts})`,
    `  change feed:                 ${r.store.changes.upserts} upserts + ${r.store.changes.contents} contents, ${r.store.changes.docsWithoutFullFeed} docs incomplete; a live cursor reader missed ${r.feedMissedByLiveReader}`,
    `  rate-limit waits announced:  ${r.waits.announced}; requests during waits: ${r.waits.inside} (+${r.waits.inFlightAtAnnouncement} already in flight when announced)`,
    `  downloads at once:           max ${r.waits.maxConcurrentDownloads}, right after a wait ${r.waits.maxConcurrentAfterWaits} (window ${userDownloadLimit(r.options)})`,
    `  workflow counters:           ${JSON.stringify(r.counters)}`,
    r.ok ? 'chaos: PASS' : `chaos: FAIL\n  - ${r.failures.join('\n  - ')}`,
  ];
  return lines.join('\n');
}
