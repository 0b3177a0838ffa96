// `docsync status --watch`: progress bars redrawn until the sync is caught up (--until-idle, exit 0),
// a failed sync ends the watch with exit 1 and its error, and Ctrl-C ends a plain --watch cleanly.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCSYNC_BIN, docsync } from '../support/cli.js';
import { createHarness, eventually, TEST_SECRET_KEY, type Harness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('docsync status --watch', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const cli = (...args: string[]) => docsync(args, { cwd: source.dir, env });

  beforeAll(async () => {
    h = await createHarness('status_watch');
    await h.startWorker();
    env = {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      TEMPORAL_NAMESPACE: h.namespace,
      DOCSYNC_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: h.databaseUrl,
      DOCSYNC_SECRET_KEY: TEST_SECRET_KEY,
      DOCSYNC_HOME: path.join(source.dir, '.docsync'),
    };
  });
  afterAll(async () => h?.close());

  it('redraws progress until the sync is caught up, then exits 0', async () => {
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'wes.json');
    // Slow listing pages, so the watch sees the sync before it is caught up.
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pageSize: 1, listDelayMs: 300 }));
    expect((await cli('sync', 'sample', 'wes', '--config', config)).code).toBe(0);
    const watched = await cli('status', 'sample', 'wes', '--watch', '--until-idle', '--refresh', '0.2');
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    const frames = watched.stdout.split(/^\d{4}-\d\d-\d\dT.*Z$/m).filter((f) => f.trim());
    expect(frames.length).toBeGreaterThan(1);
    expect(frames[0]).not.toContain('\x1b[2J'); // piped output: frames are appended, not redrawn
    expect(frames.at(-1)).toMatch(/sample\/wes\s*│\s*idle\s*│\s*3\s*│\s*3\s*│.*\[#{20}\] 100%/);
    await h.client.workflow.getHandle('sync/sample/wes').signal('cancel');
  });

  it('ends with exit 1 and the error when the sync fails', async () => {
    const handle = await h.startSync({ connector: 'sample', userId: 'vic', config: { pageSize: 0 } });
    await handle.result().catch(() => undefined);
    const watched = await cli('status', 'sample', 'vic', '--watch', '--until-idle', '--refresh', '0.2');
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(/sync sync\/sample\/vic is failed: .*sourceDir/);
    expect(watched.stdout).toContain('sample/vic'); // it rendered the status before ending
    expect((await cli('status', '--until-idle')).stderr).toContain('--until-idle needs --watch');
  });

  it('stops a plain --watch on Ctrl-C with exit 0', async () => {
    await h.startSync({ connector: 'sample', userId: 'xia', config: { sourceDir: source.dir } });
    const child = spawn(process.execPath, [DOCSYNC_BIN, 'status', 'sample', 'xia', '--watch', '--refresh', '0.2'], { cwd: source.dir, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(async () => out.includes('sample/xia'));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('progress');
    await h.client.workflow.getHandle('sync/sample/xia').signal('cancel');
  });
});
