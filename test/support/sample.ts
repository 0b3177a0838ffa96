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
import type { DocumentRow } from '../../src/store/documents.js';

export function newSampleSource(): SampleSource {
  return new SampleSource(mkdtempSync(path.join(os.tmpdir(), 'docsync-sample-')));
}

export async function documents(pool: Pool, connector: string, userId: string): Promise<Map<string, DocumentRow>> {
  const result = await pool.query<DocumentRow>(
    'SELECT * FROM documents WHERE connector = $1 AND user_id = $2 ORDER BY external_id',
    [connector, userId],
  );
  return new Map(result.rows.map((r) => [r.external_id, r]));
}

export async function changes(pool: Pool, connector: string, userId: string) {
  const result = await pool.query<{ seq: string; external_id: string; kind: string; version: string }>(
    'SELECT seq, external_id, kind, version FROM changes WHERE connector = $1 AND user_id = $2 ORDER BY seq',
    [connector, userId],
  );
  return result.rows;
}

/** With RECORD_HISTORIES=1, saves the workflow's history as a replay fixture under test/histories. */
export async function maybeRecordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const file = path.join(import.meta.dirname, '..', 'histories', `${name}.json`);
  await fs.writeFile(file, JSON.stringify({ workflowId: handle.workflowId, history: JSON.parse(historyToJSON(history)) }, null, 2));
}
