// The worker's output is one JSON object per line: docsync's own logs, the SDK's and core's
// (forwarded through pino), the bundler's report (only with LOG_LEVEL=debug); a handled rate limit
// carries no stack, in the logs or in the history the Web UI shows. The real `docsync worker`
// process against the harness's Postgres and Temporal, syncing a rate-limited sample source.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { stopAfterTest } from '../support/cleanup.js';
import { cliEnv, DOCSYNC_BIN } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

const h = useHarness('q6_logs');

interface WorkerProcess {
  output(): string;
  stop(): Promise<number | null>;
}

async function startWorkerProcess(logLevel: string): Promise<WorkerProcess> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'q6-logs-'));
  const env = { ...cliEnv(h, home), LOG_LEVEL: logLevel, DOCSYNC_METRICS_PORT: '0', DOCSYNC_BLOB_DIR: path.join(home, 'blobs') };
  const child = spawn(process.execPath, [DOCSYNC_BIN, 'worker'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  stopAfterTest(() => child.kill('SIGKILL')); // a no-op once it exited
  await Promise.race([
    eventually(async () => output.includes('"msg":"worker started"'), 120_000),
    exited.then((code) => Promise.reject(new Error(`worker exited (${code}):\n${output}`))),
  ]);
  return {
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Every non-empty line parsed; a line that is not one JSON object fails with the line itself. */
function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
        return value as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON object line: ${line.slice(0, 300)}`);
      }
    });
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('worker logs', () => {
  it('are one JSON object per line with SDK, core and bundler logs at debug, and no stack for a handled rate limit', async () => {
    const worker = await startWorkerProcess('debug');
    const source = newSampleSource();
    await seedThreeDocs(source);
    await source.rateLimitNextCalls(1, 1_500, 'retrieveMetadata');
    const handle = await h.startSync({
      connector: 'sample',
      userId: 'q6-logs-ann',
      config: { sourceDir: source.dir },
      options: { once: true },
    });
    await handle.result();
    expect((await h.status(handle)).counters).toMatchObject({ fetched: 3, rateLimitWaits: 1 });
    expect(await worker.stop()).toBe(0);

    const lines = jsonLines(worker.output());
    expect(lines.some((l) => l.sdkComponent === 'worker' && l.msg === 'Worker state changed')).toBe(true);
    expect(lines.some((l) => l.sdkComponent === 'core')).toBe(true); // Rust core, forwarded
    expect(lines.some((l) => /compiled successfully/.test(String(l.msg)))).toBe(true); // webpack's report, at debug
    const rateLimited = lines.filter((l) => JSON.stringify(l).includes('RateLimitError'));
    expect(rateLimited.length).toBeGreaterThan(0);
    for (const line of rateLimited) {
      expect(line.level).toBeLessThanOrEqual(20); // debug: handled, not a warning
      expect(JSON.stringify(line)).not.toMatch(/"stack"|\\n\s+at /);
    }

    // What the Web UI shows for the refusal: the failure's summary, no stack, category BENIGN.
    const { events } = await handle.fetchHistory();
    const failed = (events ?? []).filter((e: HistoryEvent) => e.activityTaskFailedEventAttributes);
    expect(failed).toHaveLength(1);
    const failure = failed[0].activityTaskFailedEventAttributes!.failure!;
    expect(failure.message).toMatch(
      /^handled rate limit \(not a crash\): the workflow waits until \S+ and goes on; sample source is rate limited/,
    );
    expect(failure.stackTrace ?? '').toBe('');
    expect(failure.applicationFailureInfo).toMatchObject({ type: 'RateLimitError', nonRetryable: true });
    expect(String(failure.applicationFailureInfo?.category)).toMatch(/BENIGN|^1$/);
  });

  it('hide the bundler report at the default level, and stay one JSON object per line', async () => {
    const worker = await startWorkerProcess('info');
    expect(await worker.stop()).toBe(0);
    const lines = jsonLines(worker.output());
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['worker started', 'worker stopped']));
    expect(lines.filter((l) => /compiled successfully|webpack|Workflow bundle created/.test(JSON.stringify(l)))).toEqual([]);
  });
});
