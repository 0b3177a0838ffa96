// What a syncUser run shows the outside world: its phase (with why it waits and until when), the
// Docsync* search attributes upserted on each change, and the answer to the `status` query.
import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes, statusQuery } from './definitions.js';
import type { CarriedState, Phase, SyncCounters, SyncStatus } from './types.js';

export interface StatusSource {
  workflowId: string;
  connector: string;
  userId: string;
  /** Upsert Docsync* search attributes (SyncOptions.searchAttributes). */
  searchAttributes: boolean;
  state: CarriedState;
  inFlight(): number;
}

export class SyncStatusBoard {
  phase: Phase;
  private nextSyncAt: Date | undefined;
  private waitReason: string | undefined;
  private readonly runStartedAt = Date.now();
  private readonly processedAtStart: number;

  constructor(private readonly source: StatusSource) {
    this.phase = source.state.paused ? 'paused' : 'starting';
    this.processedAtStart = processed(source.state.counters);
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
      etaSeconds: this.etaSeconds(inFlight),
      runsSoFar: state.runs,
    };
  }

  /** Rough: the in-flight documents at the pace this run has processed documents so far. */
  private etaSeconds(inFlight: number): number | undefined {
    const done = processed(this.source.state.counters) - this.processedAtStart;
    const elapsed = (Date.now() - this.runStartedAt) / 1000;
    return done > 0 && inFlight > 0 ? Math.round((inFlight * elapsed) / done) : undefined;
  }
}

function processed(c: SyncCounters): number {
  return c.fetched + c.unchanged + c.skipped + c.failed;
}
