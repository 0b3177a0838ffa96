// Replay guard: every recorded history under test/histories must replay against the current
// workflow code; a deliberately altered workflow must fail with a determinism error.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { installRuntimeOnce } from '../../src/workers/runtime.js';
import { workflowBundle } from '../support/harness.js';

const HISTORIES = path.join(import.meta.dirname, '..', 'histories');

async function loadHistories() {
  const files = (await fs.readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const saved = JSON.parse(await fs.readFile(path.join(HISTORIES, file), 'utf8'));
      return { file, workflowId: saved.workflowId as string, history: historyFromJSON(saved.history) };
    }),
  );
}

describe('workflow replay', () => {
  it('replays every recorded history against the current workflow code', async () => {
    installRuntimeOnce('ERROR');
    const histories = await loadHistories();
    expect(histories.length).toBeGreaterThanOrEqual(2);
    const bundle = await workflowBundle();
    for (const { file, workflowId, history } of histories) {
      await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId), file).resolves.toBeUndefined();
    }
  });

  it('fails with a determinism error when the workflow gains an activity call', async () => {
    installRuntimeOnce('ERROR');
    const first = (await loadHistories()).find((x) => x.file.startsWith('sample-four-stages'))!;
    const altered = await bundleWorkflowCode({
      workflowsPath: path.join(import.meta.dirname, '..', 'fixtures', 'altered-workflows', 'index.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const err = await Worker.runReplayHistory({ workflowBundle: altered }, first.history, first.workflowId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect(String((err as Error).message)).toContain('TMPRL1100');
  });
});
