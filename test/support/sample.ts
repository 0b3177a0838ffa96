// Helpers for scenarios driven by the sample connector's source directory.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { Pool } from 'pg';
import { SampleSource } from '../../src/connectors/sample/source.js';
export { stageCreateThreeDocs as seedThreeDocs } from '../../src/connectors/sample/stages.js';
import { MAX_CHANGES_PER_READ, readChanges, type Change } from '../../src/store/changes.js';
import { listDocuments, type DocumentRow } from '../../src/store/documents.js';

export function newSampleSource(): SampleSource {
  return new SampleSource(mkdtempSync(path.join(os.tmpdir(), 'docsync-sample-')));
}

export async function documents(pool: Pool, connector: string, userId: string): Promise<Map<string, DocumentRow>> {
  const rows = await listDocuments(pool, { connector, userId, withText: true });
  return new Map(rows.map((r) => [r.external_id, r]));
}

/** The user's whole change feed in seq order, read page by page as a consumer would. */
export async function changes(
  pool: Pool,
  connector: string,
  userId: string,
): Promise<{ seq: string; external_id: string; kind: Change['kind']; version: string | null }[]> {
  const feed: Change[] = [];
  for (;;) {
    const page = await readChanges(pool, { since: feed.at(-1)?.seq ?? 0, connector, userId, limit: MAX_CHANGES_PER_READ });
    if (page.length === 0) break;
    feed.push(...page);
  }
  // The scenarios name columns as the table does.
  return feed.map((c) => ({ seq: c.seq, external_id: c.externalId, kind: c.kind, version: c.version }));
}

/** With RECORD_HISTORIES=1, saves the workflow's history as a replay fixture under test/histories. */
export async function maybeRecordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const file = path.join(import.meta.dirname, '..', 'histories', `${name}.json`);
  await fs.writeFile(file, JSON.stringify({ workflowId: handle.workflowId, history: JSON.parse(historyToJSON(history)) }, null, 2));
}
