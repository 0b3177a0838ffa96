// `docsync setup` on a bare namespace (no Docsync* search attributes): `docsync sync` says which command
// fixes it (or starts without attributes on --no-search-attributes); setup registers them, re-runs
// change nothing, and --create-namespace creates a namespace that does not exist yet.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { cliEnv, docsync } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource } from '../support/sample.js';

describe('docsync setup', () => {
  const source = newSampleSource();
  const bare = `bare-${randomUUID().slice(0, 8)}`;
  const h = useHarness('setup', {
    setup: (h) =>
      h.client.connection.workflowService.registerNamespace({ namespace: bare, workflowExecutionRetentionPeriod: msToTs('1 day') }),
  });
  const env = (namespace: string) => ({ ...cliEnv(h, source.dir), TEMPORAL_NAMESPACE: namespace });

  it('registers the search attributes a bare namespace lacks, and sync says to run it until then', async () => {
    const config = path.join(source.dir, 'ann.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
    // The new namespace reaches the frontend's cache shortly after it was registered.
    const refused = await eventually(async () => {
      const r = await docsync(['sync', 'sample', 'ann', '--config', config], { env: env(bare) });
      return /lacks the search attributes/.test(r.stderr) && r;
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(
      `docsync: namespace "${bare}" lacks the search attributes DocsyncConnector, DocsyncUser, DocsyncPhase, DocsyncNextSyncAt: ` +
        `register them with \`docsync setup --namespace ${bare}\` (or start syncs with --no-search-attributes)`,
    );

    const without = await docsync(['sync', 'sample', 'ann', '--config', config, '--no-search-attributes'], { env: env(bare) });
    expect(without.stderr).toBe('');
    expect(without.stdout).toContain(`started sync/sample/ann`);

    const first = await docsync(['setup', '--namespace', bare], { env: env(bare) });
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('registered search attributes DocsyncConnector, DocsyncUser, DocsyncPhase, DocsyncNextSyncAt');
    const again = await docsync(['setup'], { env: env(bare) }); // the namespace from TEMPORAL_NAMESPACE
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('registered search attributes');
    expect(again.stdout).toContain('already registered: DocsyncConnector, DocsyncUser, DocsyncPhase, DocsyncNextSyncAt');

    const { customAttributes } = await h.client.connection.operatorService.listSearchAttributes({ namespace: bare });
    expect(customAttributes?.DocsyncNextSyncAt).toBe(6); // INDEXED_VALUE_TYPE_DATETIME
    const withAttributes = await eventually(async () => {
      const r = await docsync(['sync', 'sample', 'bob', '--config', config], { env: env(bare) });
      return r.code === 0 && r;
    });
    expect(withAttributes.stdout).toContain('started sync/sample/bob');
  });

  it('creates a missing namespace only with --create-namespace, idempotently', async () => {
    const fresh = `fresh-${randomUUID().slice(0, 8)}`;
    const refused = await docsync(['setup', '--namespace', fresh], { env: env('default') });
    expect(refused.code).toBe(4);
    expect(refused.stderr.trim()).toBe(
      `docsync: namespace "${fresh}" does not exist: create it with \`docsync setup --namespace ${fresh} --create-namespace\``,
    );
    const created = await docsync(['setup', '--namespace', fresh, '--create-namespace', '--retention-days', '3'], { env: env('default') });
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`created namespace ${fresh} (retention 3 days)`);
    expect(created.stdout).toContain('registered search attributes');
    const again = await docsync(['setup', '--namespace', fresh, '--create-namespace'], { env: env('default') });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`namespace ${fresh} exists`);
    expect(again.stdout).toContain('already registered');
  });
});
