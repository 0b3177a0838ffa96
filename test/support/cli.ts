// Runs the real `docsync` binary (bin/docsync.mjs) as a user would, capturing exit code and output.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { stopAfterTest } from './cleanup.js';
import { TEST_SECRET_KEY, type Harness } from './harness.js';

export const ROOT = path.join(import.meta.dirname, '..', '..');
export const DOCSYNC_BIN = path.join(ROOT, 'bin', 'docsync.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs any executable; a non-zero exit is a result, not a throw, so tests can assert on it. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 180_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A test that fails (or times out) while this still runs must not leave it behind; a no-op once it exited.
    stopAfterTest(() => child.kill());
  });
}

export function docsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return run(process.execPath, [DOCSYNC_BIN, ...args], options);
}

/** The environment a user's shell would have for a worker started by this harness. */
export function cliEnv(h: Pick<Harness, 'address' | 'namespace' | 'taskQueue' | 'databaseUrl'>, home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: h.address,
    TEMPORAL_NAMESPACE: h.namespace,
    DOCSYNC_TASK_QUEUE: h.taskQueue,
    DATABASE_URL: h.databaseUrl,
    DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
    DOCSYNC_HOME: path.join(home, '.docsync'),
  };
}
