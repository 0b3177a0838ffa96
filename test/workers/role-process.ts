// A worker entry point (src/workers/main.ts) started as a child process for the roles tests, with
// the module-log hook recording what it imported; stopped with SIGTERM, or SIGKILL after a failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopAfterTest } from '../support/cleanup.js';
import { eventually, TEST_SECRET_KEY, type Harness } from '../support/harness.js';

const ROOT = path.join(import.meta.dirname, '..', '..');

export interface RoleProcess {
  pid: number;
  output(): string;
  /** Every module URL the process loaded (complete once it exited). */
  modules(): string[];
  /** SIGTERM, then the exit code once it drained. */
  stop(): Promise<number | null>;
}

export async function startRoleProcess(
  h: Harness,
  opts: { args?: string[]; env?: Record<string, string>; waitForStart?: boolean },
): Promise<RoleProcess> {
  const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'q5-modules-')), 'modules.txt');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/workers/module-log.mjs', 'src/workers/main.ts', ...(opts.args ?? [])],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        TEMPORAL_NAMESPACE: h.namespace,
        DOCSYNC_TASK_QUEUE: h.taskQueue,
        DATABASE_URL: h.databaseUrl,
        DOCSYNC_BLOB_DIR: h.blobDir,
        DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
        DOCSYNC_METRICS_PORT: '0',
        DOCSYNC_MODULE_LOG: log,
        LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  stopAfterTest(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (opts.waitForStart !== false) {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${output}`);
      return output.includes('worker started');
    });
  }
  return {
    pid: child.pid!,
    output: () => output,
    modules: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The identities polling the harness' task queue for workflow (1) or activity (2) tasks. */
export async function pollerIdentities(h: Harness, type: 1 | 2): Promise<string[]> {
  const res = await h.client.workflowService.describeTaskQueue({
    namespace: h.namespace,
    taskQueue: { name: h.taskQueue },
    taskQueueType: type,
  });
  return (res.pollers ?? []).map((p) => p.identity ?? '');
}
