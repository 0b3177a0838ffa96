// The syncUser state's bookkeeping: a fresh state, a sync run's start and end, and what a listed
// page changes. Pure (uuid4 aside): no commands are issued here.
import { uuid4 } from '@temporalio/workflow';
import type { CarriedState, RetrieveMetadataResult, SyncCounters } from './types.js';

export function freshState(): CarriedState {
  return {
    milestone: {},
    counters: { pages: 0, listed: 0, fetched: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0, rateLimitWaits: 0 },
    inFlight: [],
    pageNo: 0,
    sweeping: false,
    paused: false,
    syncRequested: false,
    runs: 0,
  };
}

/** A sync run (one import log row) starts; with no milestone it is a full enumeration, swept at its end. */
export function beginSyncRun(state: CarriedState): string {
  state.syncRunId = uuid4();
  state.pageNo = 0;
  state.sweeping = Object.keys(state.milestone).length === 0;
  state.syncRunProgress = { startedAt: Date.now(), processedBefore: processedCount(state.counters), toFetch: 0 };
  return state.syncRunId;
}

export function recordPage(state: CarriedState, page: RetrieveMetadataResult): void {
  state.lastError = undefined;
  state.rateLimitStreak = undefined;
  state.milestone = page.milestone;
  state.pageNo += 1;
  state.counters.pages += 1;
  state.counters.listed += page.upserted;
  state.counters.deleted += page.deleted;
  if (state.syncRunProgress) state.syncRunProgress.toFetch += page.toFetch.length;
  if (page.reset) state.sweeping = true;
}

export function finishSyncRun(state: CarriedState): void {
  state.syncRunId = undefined;
  state.sweeping = false;
  state.lastSyncAt = new Date().toISOString();
}

/** Documents whose download reached an outcome (fetched, unchanged, skipped or failed). */
export function processedCount(c: SyncCounters): number {
  return c.fetched + c.unchanged + c.skipped + c.failed;
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
