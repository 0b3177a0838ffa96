// Given a build (`scripts/build.mjs`, what `npm run build` runs), the compiled CLI and store run on
// plain Node: a loader hook refuses tsx and every .ts file, so nothing falls back to the sources.
// The build goes to a temp folder inside the checkout (node_modules resolves; no dist/ is left behind).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { ROOT, run } from '../support/cli.js';

const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier === 'tsx' || specifier.startsWith('tsx/') || /\\.[cm]?ts$/.test(specifier)) {
    throw new Error('dev-only module requested from the build: ' + specifier);
  }
  return next(specifier, context);
}
`;

describe('the compiled build', () => {
  const out = path.join(ROOT, '.docsync', `build-test-${process.pid}`);
  const dist = path.join(out, 'dist');
  const noDevLoader = path.join(out, 'no-dev-loader.mjs');
  const plainNode = (args: string[]) =>
    run(process.execPath, ['--import', pathToFileURL(noDevLoader).href, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });

  beforeAll(async () => {
    const build = await run(process.execPath, ['scripts/build.mjs', '--out-dir', dist], { timeoutMs: 280_000 });
    expect(build.code, build.stdout + build.stderr).toBe(0);
    writeFileSync(path.join(out, 'no-dev-hooks.mjs'), HOOKS);
    writeFileSync(
      noDevLoader,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(out, 'no-dev-hooks.mjs')).href)});\n`,
    );
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

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
});
