// Writes the outcomes of one or many downloads at once: the batch's blobs made durable together,
// then one transaction with one statement per kind of outcome (content, skipped, failed, gone) and
// the change-feed rows they append. A batch of 25 costs the same few round trips as one document.
import type { Pool } from 'pg';
import type { ConnectorContext } from '../core/contract.js';
import type { DocKey, DocRef } from '../core/refs.js';
import type { BlobStore, StagedBlob } from '../store/blobs.js';
import { inTransaction, type Queryable } from '../store/db.js';
import { recordContents, recordFailures, recordSkips, type ContentWrite } from '../store/documents.js';
import { tombstone } from '../store/page-write.js';
import { recordRunError } from '../store/sync-runs.js';

export type DocumentOutcome = 'fetched' | 'unchanged' | 'skipped' | 'deleted' | 'superseded' | 'failed';

export interface DocumentFetchResult {
  /** 'failed' when the content itself is broken (retrying would not help); the row holds why. */
  outcome: DocumentOutcome;
  sha256?: string;
  size?: number;
  textBytes?: number;
  reason?: string;
}

/** What one document came to, before anything is written. */
export type PendingOutcome =
  | { kind: 'skipped'; doc: DocRef; reason: string }
  /** The content itself is broken: failed for good on this version, counted as a run error. */
  | { kind: 'broken'; doc: DocRef; reason: string }
  /** The source says it no longer exists. */
  | { kind: 'gone'; doc: DocRef }
  | {
      kind: 'content';
      doc: DocRef;
      /** 'unchanged': the bytes the row already had (text null keeps the stored text). */
      outcome: 'fetched' | 'unchanged';
      blob: StagedBlob;
      write: Omit<ContentWrite, 'sha256' | 'size' | 'version'>;
    };

export interface RecordDeps {
  pool: Pool;
  blobs: BlobStore;
}

/**
 * Blobs first, rows after: a row marked fetched always has its blob durably on disk. Every write is
 * guarded by version (a row re-listed with a newer version meanwhile is left alone) and idempotent,
 * so a retried batch writes nothing twice.
 */
export async function recordOutcomes(deps: RecordDeps, key: DocKey, pending: PendingOutcome[], syncRunId?: string): Promise<void> {
  const contents = pending.filter((p) => p.kind === 'content');
  const stored = await deps.blobs.persist(contents.map((c) => c.blob));
  const of = <K extends PendingOutcome['kind']>(kind: K) =>
    pending.filter((p): p is Extract<PendingOutcome, { kind: K }> => p.kind === kind);
  const broken = of('broken');
  const skipped = of('skipped');
  const gone = of('gone').map((p) => p.doc.externalId);
  const statements: ((db: Queryable) => Promise<unknown>)[] = [];
  if (contents.length) {
    const writes = contents.map((c, i) => ({ externalId: c.doc.externalId, version: c.doc.version, ...stored[i], ...c.write }));
    statements.push((db) => recordContents(db, key, writes));
  }
  if (skipped.length) {
    statements.push((db) =>
      recordSkips(
        db,
        key,
        skipped.map((s) => ({ externalId: s.doc.externalId, version: s.doc.version, reason: s.reason })),
      ),
    );
  }
  if (broken.length) {
    const failures = broken.map((b) => ({ externalId: b.doc.externalId, version: b.doc.version, error: b.reason, final: true }));
    statements.push(async (db) => {
      const failed = await recordFailures(db, key, failures);
      if (syncRunId) for (let i = 0; i < failed.length; i++) await recordRunError(db, syncRunId);
    });
  }
  if (gone.length) statements.push((db) => tombstone(db, { ...key, upserts: [], deletes: gone }));
  // Each statement commits its rows with their change rows; a transaction ties several together (a
  // tombstone is two statements: the rows, then their seqs).
  if (statements.length === 1 && gone.length === 0) await statements[0](deps.pool);
  else if (statements.length > 0) {
    await inTransaction(deps.pool, async (client) => {
      for (const statement of statements) await statement(client);
    });
  }
}

/** The result reported for a document (metrics, the retrieveData activity's return value). */
export function resultOf(p: PendingOutcome): DocumentFetchResult {
  switch (p.kind) {
    case 'skipped':
      return { outcome: 'skipped', reason: p.reason };
    case 'broken':
      return { outcome: 'failed', reason: p.reason };
    case 'gone':
      return { outcome: 'deleted' };
    case 'content':
      return {
        outcome: p.outcome,
        sha256: p.blob.sha256,
        size: p.blob.size,
        textBytes: p.outcome === 'fetched' && p.write.text !== null ? Buffer.byteLength(p.write.text, 'utf8') : undefined,
      };
  }
}

/** Per-document lines at debug (a batch of thousands must not flood the log); a broken document warns. */
export function logOutcome(logger: ConnectorContext<unknown>['logger'] | undefined, p: PendingOutcome): void {
  if (p.kind === 'broken') logger?.warn({ externalId: p.doc.externalId, reason: p.reason }, 'document failed');
  else if (p.kind === 'skipped') logger?.debug({ externalId: p.doc.externalId, reason: p.reason }, 'document skipped');
  else logger?.debug({ externalId: p.doc.externalId, outcome: resultOf(p).outcome }, 'document stored');
}
