// Worker roles as deployed: a workflows-only and an activities-only worker process on one task
// queue sync a Dropbox user together; with the workflows worker alone the listing activity waits,
// scheduled and never started; and each role imports only its own side (module log of each process).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSyncUser } from '../../src/workflows/client.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';
import { eventually, useHarness } from '../support/harness.js';
import { pollerIdentities, startRoleProcess } from './role-process.js';

const WORKFLOW_TASKS = 1;
const ACTIVITY_TASKS = 2;
const PENDING_ACTIVITY_STATE_SCHEDULED = 1;

/**
 * What a workflows-only worker must never import: activity code, extractors, connector SDKs
 * (activities/metrics.ts only defines the Prometheus metrics every role serves on /metrics).
 */
const ACTIVITY_SIDE = [
  /\/src\/activities\/(?!metrics\.ts$)/,
  /\/src\/pipeline\//,
  /\/src\/extract\//,
  /\/src\/connectors\/(dropbox|gdrive|gmail|google|sample|filesystem)\//,
  /\/node_modules\/(dropbox|googleapis|@googleapis|googleapis-common|google-auth-library)\//,
  /\/node_modules\/(pdfjs-dist|exceljs|mammoth|mailparser|html-to-text|file-type|yauzl|word-extractor)\//,
];
/** Loaded only while webpack bundles workflow code (the swc loader). */
const BUNDLING = /\/node_modules\/(swc-loader|@swc\/core)\//;

const matching = (modules: string[], pattern: RegExp) => [...new Set(modules.filter((m) => pattern.test(m)))];

describe('worker roles', () => {
  const fake = new FakeDropbox();
  let fakeUrl = '';
  const h = useHarness('q5_roles', {
    setup: async () => {
      fakeUrl = (await fake.start()).url;
    },
    teardown: () => fake.stop(),
  });

  it('a workflows-only and an activities-only process sync together; alone, the workflows worker leaves the listing scheduled', async () => {
    for (let i = 1; i <= 3; i++) fake.addFile(`/Docs/q5-note-${i}.txt`, `note ${i} for the roles test`);
    const credentialRef = await h.credentials.save('dropbox', 'q5-alice', {
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
    });
    // No DOCSYNC_WORKFLOW_BUNDLE: this worker bundles at start, the positive control for BUNDLING.
    const workflows = await startRoleProcess(h, { args: ['--role', 'workflows'] });
    const handle = await startSyncUser(
      h.client,
      { connector: 'dropbox', userId: 'q5-alice', credentialRef, config: { apiBaseUrl: fakeUrl, pageSize: 2 }, options: { once: true } },
      { taskQueue: h.taskQueue, workflowId: `sync/dropbox/q5-alice-${h.taskQueue}` },
    );

    const pending = await eventually(async () => {
      const { pendingActivities } = await handle.describe().then((d) => d.raw);
      return pendingActivities?.find((a) => a.activityType?.name === 'retrieveMetadata');
    });
    expect(pending.state).toBe(PENDING_ACTIVITY_STATE_SCHEDULED);
    expect(pending.lastStartedTime ?? null).toBeNull();
    // Nobody can start it: the only worker polls workflow tasks and no activity tasks.
    const identity = (pid: number) => `${pid}@${os.hostname()}`;
    expect(await pollerIdentities(h, WORKFLOW_TASKS)).toContain(identity(workflows.pid));
    expect(await pollerIdentities(h, ACTIVITY_TASKS)).toEqual([]);
    expect(fake.counts['/2/files/list_folder'] ?? 0).toBe(0);

    const activities = await startRoleProcess(h, { env: { DOCSYNC_WORKER_ROLE: 'activities' } });
    await handle.result();
    const fetched = await h.pool.query("SELECT count(*)::int AS n FROM documents WHERE user_id = 'q5-alice' AND status = 'fetched'");
    expect(fetched.rows[0].n).toBe(3);
    expect(await pollerIdentities(h, ACTIVITY_TASKS)).toEqual([identity(activities.pid)]);
    expect(await pollerIdentities(h, WORKFLOW_TASKS)).not.toContain(identity(activities.pid));

    expect(await workflows.stop()).toBe(0);
    expect(await activities.stop()).toBe(0);
    expect(workflows.output()).toContain('"role":"workflows"');
    expect(activities.output()).toContain('"role":"activities"');

    const workflowModules = workflows.modules();
    const activityModules = activities.modules();
    // The log is live: both processes loaded the entry point and the worker SDK...
    for (const modules of [workflowModules, activityModules]) {
      expect(matching(modules, /\/src\/workers\/main\.ts$/)).toHaveLength(1);
      expect(matching(modules, /\/node_modules\/@temporalio\/worker\//).length).toBeGreaterThan(0);
    }
    // ...and it sees what the activities worker ran: extractors and the Dropbox SDK.
    expect(matching(activityModules, /\/src\/extract\//).length).toBeGreaterThan(0);
    expect(matching(activityModules, /\/node_modules\/dropbox\//).length).toBeGreaterThan(0);
    for (const pattern of ACTIVITY_SIDE) expect(matching(workflowModules, pattern)).toEqual([]);
    // Bundling showed up in the workflows worker (it had no pre-built bundle) and never in the activities one.
    expect(matching(workflowModules, BUNDLING).length).toBeGreaterThan(0);
    expect(matching(activityModules, BUNDLING)).toEqual([]);
  });

  it('refuses an unknown role naming DOCSYNC_WORKER_ROLE and the allowed values', () => {
    const root = path.join(import.meta.dirname, '..', '..');
    const env = { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const bad = [
      { args: [], env: { ...env, DOCSYNC_WORKER_ROLE: 'workflow' } },
      { args: ['--role', 'everything'], env },
    ];
    for (const run of bad) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/workers/main.ts', ...run.args], {
        cwd: root,
        env: run.env,
        encoding: 'utf8',
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/DOCSYNC_WORKER_ROLE: must be one of all, workflows, activities/);
      expect(res.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
  });
});
