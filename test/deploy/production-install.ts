// What the Dockerfile's runtime stage does, without Docker: a folder holding only package.json,
// package-lock.json, bin/ and a build's dist/, `npm ci --omit=dev`, scripts/prune-runtime.sh, and
// the compiled worker started from there as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { stopAfterTest } from '../support/cleanup.js';
import { ROOT, run, type CliResult } from '../support/cli.js';

/** The Dockerfile's install line (keep them the same). */
export const NPM_CI_OMIT_DEV = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];

/** Copies the manifests and installs production dependencies into dir; the lockfile pins every version. */
export async function installProductionDependencies(dir: string): Promise<CliResult & { ms: number }> {
  for (const file of ['package.json', 'package-lock.json']) await copyFile(path.join(ROOT, file), path.join(dir, file));
  const started = Date.now();
  const result = await run('npm', NPM_CI_OMIT_DEV, { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' }, timeoutMs: 540_000 });
  return { ...result, ms: Date.now() - started };
}

/**
 * Adds the compiled output and the launcher, as the image's `COPY --from=build` lines do. File work
 * here is asynchronous: a test worker blocked for a minute on a busy disk misses vitest's RPC replies.
 */
export async function copyBuild(dist: string, dir: string): Promise<void> {
  await cp(dist, path.join(dir, 'dist'), { recursive: true });
  await cp(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
}

export function prune(dir: string): Promise<CliResult> {
  return run('sh', [path.join(ROOT, 'scripts', 'prune-runtime.sh'), path.join(dir, 'node_modules')]);
}

export async function mebibytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sm', dir]);
  return Number(stdout.split('\t')[0]);
}

export interface ChildRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `node <script> [...args]` in dir; killed when the test ends if it is still running. */
export function startNode(dir: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildRun {
  const child = spawn(process.execPath, [path.join(dir, script), ...args], { cwd: dir, env });
  stopAfterTest(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
