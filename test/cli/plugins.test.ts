// Connector plugins as a plugin author meets them: `docsync new-connector` scaffolds a connector whose
// own test passes the conformance kit (run by the real vitest binary), the worker loads it by module
// specifier from the workflow input, and a module that is no connector fails with a clear ConfigError.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/devstack/postgres.js';
import { cliEnv, docsync, ROOT, run } from '../support/cli.js';
import { useHarness } from '../support/harness.js';
import { documents } from '../support/sample.js';

describe('connector plugins', () => {
  let env: NodeJS.ProcessEnv;
  // A plugin author's ES module project: docsync, zod and vitest installed (linked to this checkout).
  const project = mkdtempSync(path.join(os.tmpdir(), 'docsync-plugin-project-'));
  const connectorFile = path.join(project, 'connectors', 'my-wiki', 'connector.ts');
  // Relative to the worker's working directory (this process), as a deployment would write it.
  const spec = `./${path.relative(process.cwd(), connectorFile)}#MyWikiConnector`;

  beforeAll(async () => {
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-plugins', type: 'module', private: true }));
    mkdirSync(path.join(project, 'node_modules'));
    symlinkSync(ROOT, path.join(project, 'node_modules', 'docsync'));
    for (const dep of ['zod', 'vitest']) symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(project, 'node_modules', dep));
  });
  const h = useHarness('plugins', {
    worker: true,
    setup: async (h) => {
      env = cliEnv(h, project);
    },
  });

  it('scaffolds a connector whose conformance test passes under the real vitest binary', async () => {
    const scaffold = await docsync(['new-connector', 'my-wiki'], { cwd: project, env });
    expect(scaffold.code).toBe(0);
    expect(scaffold.stdout).toContain('created connectors/my-wiki/connector.ts');
    expect(scaffold.stdout).toContain('created connectors/my-wiki/connector.test.ts');
    expect(scaffold.stdout).toContain('#MyWikiConnector');

    const again = await docsync(['new-connector', 'my-wiki'], { cwd: project, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    const badName = await docsync(['new-connector', 'My Wiki'], { cwd: project, env });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('connector name "My Wiki" must be lower-case');

    // The scaffolded test shares this run's services through the environment it documents.
    const databaseUrl = await createDatabase(inject('databaseUrl'), `t_plugin_kit_${process.pid}`);
    const kit = await run(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'connectors/my-wiki/connector.test.ts'],
      {
        cwd: project,
        env: { ...env, DATABASE_URL: databaseUrl, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
        timeoutMs: 120_000,
      },
    );
    const output = kit.stdout + kit.stderr;
    expect(output).toContain('conformance: my-wiki');
    expect(output).toMatch(/Tests\s+5 passed \| 5 skipped/); // the kit's teardown is an afterAll, not a test
    expect(kit.code).toBe(0);
  });

  it('loads the plugin by module specifier from the workflow input and syncs it from the CLI', async () => {
    const sourceDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-wiki-source-'));
    writeFileSync(path.join(sourceDir, 'welcome.txt'), 'Welcome to the wiki.');
    writeFileSync(path.join(sourceDir, 'rules.txt'), 'Be kind.');
    const config = path.join(project, 'wiki.json');
    writeFileSync(config, JSON.stringify({ sourceDir }));
    const started = await docsync(['sync', spec, 'dora', '--config', config, '--once'], { cwd: process.cwd(), env });
    expect(started.stderr).toBe('');
    expect(started.stdout).toContain(`started sync/${spec}/dora`);
    await h.client.workflow.getHandle(`sync/${spec}/dora`).result();
    const rows = await documents(h.pool, spec, 'dora');
    expect([...rows.keys()].sort()).toEqual(['rules.txt', 'welcome.txt']);
    expect(rows.get('welcome.txt')?.text).toBe('Welcome to the wiki.');
  });

  it('refuses a module that exports no connector with a ConfigError naming the spec', async () => {
    const notConnector = path.join(project, 'not-a-connector.mjs');
    writeFileSync(notConnector, 'export class Thing { constructor() { this.name = "thing"; } }\n');
    const badSpec = `./${path.relative(process.cwd(), notConnector)}#Thing`;
    const handle = await h.startSync({ connector: badSpec, userId: 'erin', config: {} });
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('ConfigError');
    expect(cause?.message).toContain(`"${badSpec}" is not a docsync connector`);

    const cli = await docsync(['sync', badSpec, 'erin'], { cwd: process.cwd(), env });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`"${badSpec}" is not a docsync connector (needs name, configSchema, retrieveMetadata, retrieveData)`);
    const missing = await docsync(['sync', './nowhere/plugin.js#Nope', 'erin'], { cwd: process.cwd(), env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot load connector module "./nowhere/plugin.js"');
  });
});
