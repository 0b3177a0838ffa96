// `docsync sync` on a running sync, through the real binary: a nudge needs no config, the same flags
// again are a nudge too, and a different --config or --interval is refused with the command to use.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, docsync as runDocsync } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('docsync sync on a running sync', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const docsync = (...args: string[]) => runDocsync(args, { cwd: source.dir, env });
  const h = useHarness('sync_running', { worker: true, setup: async (h) => void (env = cliEnv(h, source.dir)) });

  const syncNowsReceived = async () => {
    const history = await h.client.workflow.getHandle('sync/sample/ana').fetchHistory();
    return history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'syncNow').length;
  };

  it('nudges without config, accepts the same settings, refuses different ones with exit code 2', async () => {
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pageSize: 2 }));
    const started = await docsync('sync', 'sample', 'ana', '--config', config, '--interval', '600');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('started sync/sample/ana');
    await eventually(async () => (await docsync('status', 'sample', 'ana', '--json')).stdout.includes('"fetched": 3'));

    const nudged = await docsync('sync', 'sample', 'ana');
    expect(nudged).toMatchObject({ code: 0 });
    expect(nudged.stdout).toContain('sync/sample/ana is already running: sent syncNow');
    await eventually(async () => (await syncNowsReceived()) === 1);

    // Same config (keys in another order) and interval: a nudge as well.
    writeFileSync(config, JSON.stringify({ pageSize: 2, sourceDir: source.dir }));
    const same = await docsync('sync', 'sample', 'ana', '--config', config, '--interval', '600');
    expect(same).toMatchObject({ code: 0 });
    await eventually(async () => (await syncNowsReceived()) === 2);

    const interval = await docsync('sync', 'sample', 'ana', '--interval', '60');
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('sync/sample/ana is already running with a different --interval');
    expect(interval.stderr).toContain('docsync cancel sample ana && docsync sync sample ana --interval <value>');

    const other = path.join(source.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ sourceDir: source.dir, pageSize: 5 }));
    const changed = await docsync('sync', 'sample', 'ana', '--config', other);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('already running with a different --config');
    expect(await syncNowsReceived()).toBe(2); // refused commands sent nothing

    expect((await docsync('cancel', 'sample', 'ana')).code).toBe(0);
    await expect(h.client.workflow.getHandle('sync/sample/ana').result()).rejects.toThrow();
  });
});
