// What a syncUser run shows the outside world: its phase (with why it waits and until when), the
// Docsync* search attributes upserted on each change, and the answer to the `status` query.
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes, statusQuery } from './definitions.js';
import { processedCount } from './sync-state.js';
import type { CarriedState, Phase, SyncStatus } from './types.js';

export interface StatusSource {
  workflowId: string;
  connector: string;
  userId: string;
  /** Upsert Docsync* search attributes (SyncOptions.searchAttributes). */
  searchAttributes: boolean;
  state: CarriedState;
  /** Documents being downloaded: children, and the documents of running batch activities. */
  inFlight(): number;
}

export class SyncStatusBoard {
  phase: Phase;
  private nextSyncAt: Date | undefined;
  private waitReason: string | undefined;
  /** The pace for runs carried from before `syncRunProgress`: this workflow run's own start. */
  private readonly runStart: { startedAt: number; processedBefore: number };

  constructor(private readonly source: StatusSource) {
    this.phase = source.state.paused ? 'paused' : 'starting';
    this.runStart = { startedAt: Date.now(), processedBefore: processedCount(source.state.counters) };
  }

  /** Answers the `status` query from now on. */
  answerQueries(): void {
    setHandler(statusQuery, () => this.snapshot());
  }

  /** Connector and user never change: set once, when the sync first starts (not after continue-as-new). */
  announceIdentity(): void {
    if (!this.source.searchAttributes) return;
    upsertSearchAttributes([
      { key: searchAttributes.connector, value: this.source.connector },
      { key: searchAttributes.user, value: this.source.userId },
    ]);
  }

  setPhase(next: Phase, reason?: string, wakeAt?: Date): void {
    this.waitReason = reason;
    const changed = next !== this.phase || wakeAt?.getTime() !== this.nextSyncAt?.getTime();
    this.phase = next;
    this.nextSyncAt = wakeAt;
    if (changed && this.source.searchAttributes) {
      upsertSearchAttributes([
        { key: searchAttributes.phase, value: next },
        { key: searchAttributes.nextSyncAt, value: wakeAt ?? null },
      ]);
    }
  }

  snapshot(): SyncStatus {
    const { state } = this.source;
    const inFlight = this.source.inFlight();
    const progress = this.progress(inFlight);
    return {
      workflowId: this.source.workflowId,
      connector: this.source.connector,
      userId: this.source.userId,
      phase: this.phase,
      counters: { ...state.counters },
      inFlight,
      nextSyncAt: this.nextSyncAt?.toISOString(),
      waitReason: this.waitReason,
      lastError: state.lastError,
      lastSyncAt: state.lastSyncAt,
      syncRunId: state.syncRunId,
      etaSeconds: progress.etaSeconds,
      documentsLeft: progress.left,
      runsSoFar: state.runs,
    };
  }

  /**
   * The documents left (listed in this sync run, not done; at least those in flight) at the pace
   * the sync run has done documents so far. Date.now() is workflow time (the current task's), so a
   * query reads it without changing any state. Pages not listed yet are unknown: the ETA covers
   * what is known, and grows as pages are listed.
   */
  private progress(inFlight: number): { left?: number; etaSeconds?: number } {
    const { state } = this.source;
    const run = state.syncRunProgress ?? this.runStart;
    const done = processedCount(state.counters) - run.processedBefore;
    // Once the run's listing is complete every document has started: what is left is in flight.
    const listed = state.syncRunId !== undefined ? (state.syncRunProgress?.toFetch ?? 0) : 0;
    const left = Math.max(listed - done, inFlight, 0);
    const elapsedSeconds = (Date.now() - run.startedAt) / 1000;
    if (left === 0) return { left };
    return { left, etaSeconds: done > 0 && elapsedSeconds > 0 ? Math.round((left * elapsedSeconds) / done) : undefined };
  }
}
