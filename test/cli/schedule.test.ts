// `docsync schedule`: a real Temporal Schedule whose runs start the user's sync the first time and
// nudge the same long-lived workflow (syncNow) afterwards; list, trigger and delete through the CLI.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { cliEnv, docsync } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { maybeRecordHistory, newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('docsync schedule', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const cli = (...args: string[]) => docsync(args, { cwd: source.dir, env });
  const fetched = async () => (await h.status(h.client.workflow.getHandle('sync/sample/sam'))).counters.fetched;

  const h = useHarness('schedule', {
    worker: true,
    setup: async (h) => {
      env = cliEnv(h, source.dir);
    },
  });

  it('creates a schedule whose runs start, then nudge, the per-user sync; lists and deletes it', async () => {
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'sam.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pageSize: 2 }));

    const bad = await cli('schedule', 'sample', 'sam', '--config', config);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('give exactly one of --every <duration>');

    const created = await cli('schedule', 'sample', 'sam', '--every', '1h', '--config', config);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('created schedule docsync-sync/sample/sam: every 1h');
    const described = await h.client.schedule.getHandle('docsync-sync/sample/sam').describe();
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.spec.intervals?.[0].every).toBe(3_600_000);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledSync', taskQueue: h.taskQueue });

    // First run: no sync is running yet, so the scheduled workflow starts sync/sample/sam.
    expect((await cli('schedule', 'trigger', 'sample', 'sam')).stdout).toContain('triggered docsync-sync/sample/sam');
    await eventually(async () => (await fetched()) === 3);

    // Second run: the same long-lived sync (same run, milestone kept) gets syncNow and picks up the new doc.
    const { runId, memo } = await h.client.workflow.getHandle('sync/sample/sam').describe();
    expect(memo).toEqual({ connector: 'sample', userId: 'sam' });
    await source.put('doc-4', { title: 'Fourth', content: 'Arrived between two scheduled runs.' });
    await cli('schedule', 'trigger', 'sample', 'sam');
    await eventually(async () => (await fetched()) === 4);
    expect((await h.client.workflow.getHandle('sync/sample/sam').describe()).runId).toBe(runId);

    const outcomes: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `WorkflowType = "scheduledSync" AND DocsyncUser = "sam"` })) {
      const run = h.client.workflow.getHandle(wf.workflowId, wf.runId);
      const outcome: string = await run.result();
      outcomes.push(outcome);
      await maybeRecordHistory(run, `scheduled-sync-${outcome}`); // replay fixtures for scheduledSync
    }
    expect(outcomes.sort()).toEqual(['signalled', 'started']);

    const listed = await cli('schedule', 'list');
    expect(listed.stdout).toMatch(/docsync-sync\/sample\/sam\s*│\s*every 1h\s*│\s*no/);
    const updated = await cli('schedule', 'sample', 'sam', '--cron', '0 3 * * *', '--config', config);
    expect(updated.stdout).toContain('updated schedule docsync-sync/sample/sam: cron 0 3 * * *');

    expect((await cli('schedule', 'delete', 'sample', 'sam')).stdout).toContain('deleted docsync-sync/sample/sam');
    const gone = await h.client.schedule
      .getHandle('docsync-sync/sample/sam')
      .describe()
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(gone).toBeInstanceOf(ScheduleNotFoundError);
    const again = await cli('schedule', 'delete', 'sample', 'sam');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('no schedule for connector "sample" and user "sam"');

    await h.client.workflow.getHandle('sync/sample/sam').signal('cancel');
  });
});
