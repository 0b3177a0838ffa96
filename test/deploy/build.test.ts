// Given a build (`scripts/build.mjs`, what `npm run build` runs), the compiled CLI, store and worker
// run on plain Node: a loader hook refuses tsx and every .ts file, so nothing falls back to the
// sources; and a folder with production dependencies only (`npm ci --omit=dev`, what the Dockerfile's
// runtime stage holds) runs a whole sync with the compiled worker and CLI and the prebuilt bundle.
// The build goes to a temp folder inside the checkout (node_modules resolves; no dist/ is left behind).
// `npm ci` against the registry takes ~2–3 min here and runs beside the ~1–2 min build.
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { freePort } from '../../src/devstack/ports.js';
import { ROOT, run } from '../support/cli.js';
import { eventually, TEST_SECRET_KEY, useHarness } from '../support/harness.js';
import { documents, newSampleSource, seedThreeDocs } from '../support/sample.js';
import { copyBuild, installProductionDependencies, mebibytes, prune, startNode } from './production-install.js';

const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'tsx' || specifier.startsWith('tsx/') || /\\.[cm]?ts$/.test(specifier)) {
    throw new Error('dev-only module requested from the build: ' + specifier);
  }
  return next(specifier, context);
}
`;
const DEV_ONLY = ['tsx', 'typescript', 'vitest', 'eslint', 'prettier', '@temporalio/testing', 'knip'];

describe('the compiled build', () => {
  const out = path.join(ROOT, '.docsync', `build-test-${process.pid}`);
  const dist = path.join(out, 'dist');
  const noDevLoader = path.join(out, 'no-dev-loader.mjs');
  const install = mkdtempSync(path.join(os.tmpdir(), 'docsync-prod-install-'));
  const sizes: Record<string, number> = {};
  const plainNode = (args: string[]) =>
    run(process.execPath, ['--import', pathToFileURL(noDevLoader).href, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
  const h = useHarness('q4_build');

  beforeAll(async () => {
    const [build, npm] = await Promise.all([
      run(process.execPath, ['scripts/build.mjs', '--out-dir', dist], { timeoutMs: 540_000 }),
      installProductionDependencies(install),
    ]);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    expect(npm.code, npm.stdout + npm.stderr).toBe(0);
    console.info(`npm ci --omit=dev: ${(npm.ms / 1000).toFixed(0)} s`);
    await copyBuild(dist, install);
    writeFileSync(path.join(out, 'no-dev-hooks.mjs'), HOOKS);
    writeFileSync(
      noDevLoader,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(out, 'no-dev-hooks.mjs')).href)});\n`,
    );
  }, 600_000);
  afterAll(async () => {
    // Asynchronous: removing ~450 MiB of node_modules synchronously blocked the test worker past
    // vitest's 60 s RPC timeout on a loaded machine ("Timeout calling onTaskUpdate").
    await Promise.all([rm(out, { recursive: true, force: true }), rm(install, { recursive: true, force: true })]);
    if (Object.keys(sizes).length) console.info(`node_modules MiB: ${JSON.stringify(sizes)}`);
  });

  it('docsync --help runs from dist/cli/main.js without tsx', async () => {
    const { code, stdout, stderr } = await plainNode([path.join(dist, 'cli', 'main.js'), '--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: docsync');
    expect(stdout).toContain('worker');
  });

  it('the loader hook does refuse TypeScript sources (negative control)', async () => {
    const { code, stderr } = await plainNode([path.join(ROOT, 'src', 'cli', 'main.ts'), '--help']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('dev-only module requested');
  });

  it('the compiled store finds its migrations and the compiled worker its workflows', async () => {
    const databaseUrl = await createDatabase(inject('databaseUrl'), `t_build_${process.pid}`);
    const script = `
      const [migrateJs, dbJs, workerJs, url] = process.argv.slice(1);
      const { migrate } = await import(migrateJs);
      const { createPool } = await import(dbJs);
      const { workflowsPath } = await import(workerJs);
      const pool = createPool(url, 1);
      console.log(JSON.stringify({ applied: await migrate(pool), workflows: workflowsPath() }));
      await pool.end();`;
    const module = (...p: string[]) => pathToFileURL(path.join(dist, ...p)).href;
    const { code, stdout, stderr } = await plainNode([
      '--input-type=module',
      '-e',
      script,
      module('store', 'migrate.js'),
      module('store', 'db.js'),
      module('workers', 'worker.js'),
      databaseUrl,
    ]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { applied: string[]; workflows: string };
    const migrations = readdirSync(path.join(ROOT, 'src', 'store', 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(migrations.length).toBeGreaterThan(0);
    expect(result.applied).toEqual(migrations);
    expect(result.workflows).toBe(path.join(dist, 'workflows', 'index.js'));
  });

  it('installs production dependencies only, and the prune keeps one native core', async () => {
    const modules = path.join(install, 'node_modules');
    for (const name of DEV_ONLY) expect(existsSync(path.join(modules, name)), name).toBe(false);
    expect(existsSync(path.join(modules, '@temporalio', 'worker'))).toBe(true);
    sizes.withDev = await mebibytes(realpathSync(path.join(ROOT, 'node_modules'))); // the checkout's full `npm ci`
    sizes.omitDev = await mebibytes(modules);
    expect((await prune(install)).code).toBe(0);
    sizes.omitDevPruned = await mebibytes(modules);
    expect(readdirSync(path.join(modules, '@temporalio', 'core-bridge', 'releases'))).toEqual([
      `${os.arch() === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu`,
    ]);
    expect(sizes.omitDevPruned).toBeLessThan(sizes.omitDev);
    expect(sizes.omitDev).toBeLessThan(sizes.withDev);
  });

  describe('a sync through the production install (compiled worker + CLI, NODE_ENV=production)', () => {
    const source = newSampleSource();
    const env = async (): Promise<NodeJS.ProcessEnv> => ({
      PATH: process.env.PATH,
      HOME: install, // no user's Temporal profile
      NODE_ENV: 'production',
      TEMPORAL_ADDRESS: h.address,
      TEMPORAL_NAMESPACE: h.namespace,
      DOCSYNC_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.databaseUrl,
      DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
      DOCSYNC_HOME: path.join(install, '.docsync'),
      DOCSYNC_BLOB_DIR: path.join(install, 'blobs'),
      DOCSYNC_METRICS_HOST: '127.0.0.1',
      DOCSYNC_METRICS_PORT: String(await freePort()),
      DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    });

    it('answers /readyz, loads the prebuilt bundle and syncs three documents', async () => {
      const workerEnv = await env();
      const worker = startNode(install, 'dist/workers/main.js', [], workerEnv);
      const readyz = `http://127.0.0.1:${workerEnv.DOCSYNC_METRICS_PORT}/readyz`;
      await eventually(async () => (await fetch(readyz).catch(() => undefined))?.ok, 120_000);
      expect(worker.output()).toContain('loading the prebuilt workflow bundle');
      expect(worker.output()).toContain(path.join(install, 'dist', 'workflow-bundle.js'));

      await seedThreeDocs(source);
      const config = path.join(source.dir, 'q4-prod.json');
      writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
      const cli = (args: string[]) =>
        run(process.execPath, [path.join(install, 'bin', 'docsync.mjs'), ...args], { cwd: install, env: workerEnv });
      const sync = await cli(['sync', 'sample', 'q4-prod', '--config', config]);
      expect(sync.code, sync.stdout + sync.stderr).toBe(0);
      await eventually(async () => (await cli(['status', 'sample', 'q4-prod', '--json'])).stdout.includes('"fetched": 3'));
      const docs = await documents(h.pool, 'sample', 'q4-prod');
      expect([...docs.values()].map((d) => d.status)).toEqual(['fetched', 'fetched', 'fetched']);

      worker.child.kill('SIGTERM'); // drains and exits cleanly
      expect(await worker.exited).toBe(0);
    });

    it('refuses a workflow bundle older than the compiled workflows beside it', async () => {
      const file = path.join(install, 'dist', 'workflows', 'closing.js');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, `${original}\n// edited after the build\n`);
      try {
        const worker = startNode(install, 'dist/workers/main.js', [], await env());
        expect(await worker.exited).not.toBe(0);
        expect(worker.output()).toContain('workflow-bundle.js is stale (the compiled workflow code changed since it was bundled)');
        expect(worker.output()).toContain('npm run build');
      } finally {
        writeFileSync(file, original);
      }
    });
  });
});
