// The prebuilt workflow bundle of a compiled install. `npm run build` bundles the compiled workflows
// once (bundleWorkflowCode) into dist/workflow-bundle.js, next to a manifest holding the hash of the
// compiled code it was made from; a compiled worker loads it with `workflowBundle: { codePath }`
// instead of bundling at every start (~2 s and ~300 MB of peak RSS), and refuses a bundle whose
// manifest no longer matches the code beside it, so a stale bundle is never run silently.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
const MANIFEST_FILE = 'workflow-bundle.json';
/**
 * The compiled folders a bundle is made of: the workflows and the pure modules they may import (the
 * lint rules allow nothing else at run time). Hashing both folders whole errs on the side of "stale".
 */
const INPUT_DIRS = ['workflows', 'core'];

interface BundleManifest {
  /** sha256 over the compiled input files (relative path and content), sorted by path. */
  sourceHash: string;
  /** The workflow SDK baked into the bundle: a different installed SDK must not run an old bundle. */
  workflowSdkVersion: string;
  files: number;
}

function inputFiles(distDir: string): string[] {
  return INPUT_DIRS.flatMap((dir) =>
    (readdirSync(path.join(distDir, dir), { recursive: true, encoding: 'utf8' }) as string[])
      .filter((file) => file.endsWith('.js'))
      .map((file) => path.posix.join(dir, file.split(path.sep).join('/'))),
  ).sort();
}

function sourceHash(distDir: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(distDir, file)))
      .update('\0');
  return hash.digest('hex');
}

function workflowSdkVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@temporalio/workflow/package.json') as { version: string }).version;
}

const silentBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  log() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * Bundles `<distDir>/workflows/index.js` and writes the bundle and its manifest into distDir.
 * @public scripts/build.mjs imports the compiled module after tsc (a path knip cannot follow).
 */
export async function writeWorkflowBundle(distDir: string): Promise<{ codePath: string; bytes: number }> {
  // Imported here so a worker that only loads a prebuilt bundle never loads the bundler (webpack, swc).
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const files = inputFiles(distDir);
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(distDir, 'workflows', 'index.js'),
    logger: silentBundlerLogger,
  });
  const codePath = path.join(distDir, WORKFLOW_BUNDLE_FILE);
  writeFileSync(codePath, code);
  const manifest: BundleManifest = {
    sourceHash: sourceHash(distDir, files),
    workflowSdkVersion: workflowSdkVersion(),
    files: files.length,
  };
  writeFileSync(path.join(distDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { codePath, bytes: Buffer.byteLength(code) };
}

/**
 * The build's bundle in distDir, checked against the compiled code beside it: undefined when there is
 * none, a ConfigError naming the fix when it was built from other code or for another SDK.
 */
export function prebuiltWorkflowBundle(distDir: string): { codePath: string } | undefined {
  const codePath = path.join(distDir, WORKFLOW_BUNDLE_FILE);
  const manifestPath = path.join(distDir, MANIFEST_FILE);
  if (!existsSync(codePath)) return undefined;
  const stale = (why: string) =>
    new ConfigError(`${codePath} is stale (${why}): run \`npm run build\` again so the bundle matches the compiled workflows`, [
      'workflowBundle',
    ]);
  if (!existsSync(manifestPath)) throw stale(`no ${MANIFEST_FILE} beside it`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BundleManifest;
  if (manifest.workflowSdkVersion !== workflowSdkVersion())
    throw stale(`built with @temporalio/workflow ${manifest.workflowSdkVersion}, ${workflowSdkVersion()} is installed`);
  if (manifest.sourceHash !== sourceHash(distDir, inputFiles(distDir)))
    throw stale('the compiled workflow code changed since it was bundled');
  return { codePath };
}
