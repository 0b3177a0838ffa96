// `docsync status --watch`: progress bars redrawn until the sync is caught up (--until-idle, exit 0),
// a failed sync ends the watch with exit 1 and its error, and Ctrl-C ends a plain --watch cleanly.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopAfterTest } from '../support/cleanup.js';
import { cliEnv, docsync, DOCSYNC_BIN } from '../support/cli.js';
import { eventually, useHarness } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

describe('docsync status --watch', () => {
  let env: NodeJS.ProcessEnv;
  const source = newSampleSource();
  const cli = (...args: string[]) => docsync(args, { cwd: source.dir, env });

  const h = useHarness('status_watch', {
    worker: true,
    setup: async (h) => {
      env = cliEnv(h, source.dir);
    },
  });

  /** `docsync status ... --watch` in the background, with its output so far and its exit code. */
  function watchInBackground(...args: string[]) {
    const child = spawn(process.execPath, [DOCSYNC_BIN, 'status', ...args, '--watch', '--refresh', '0.2'], { cwd: source.dir, env });
    stopAfterTest(() => child.kill()); // a failed assertion must not leave the watch running; no-op once it exited
    const io = { out: '', err: '' };
    child.stdout.on('data', (d) => (io.out += d));
    child.stderr.on('data', (d) => (io.err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, io, exited };
  }

  it('redraws progress until the sync is caught up, then exits 0', async () => {
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'wes.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir, pageSize: 1 }));
    expect((await cli('sync', 'sample', 'wes', '--config', config)).code).toBe(0);
    // Paused, the sync cannot be idle yet, whatever the machine's speed: the watch must keep going.
    expect((await cli('pause', 'sample', 'wes')).code).toBe(0);
    const watch = watchInBackground('sample', 'wes', '--until-idle');
    await eventually(async () => watch.io.out.includes('paused'));
    expect((await cli('resume', 'sample', 'wes')).code).toBe(0);
    expect(await watch.exited).toBe(0);
    expect(watch.io.err).toBe('');
    const frames = watch.io.out.split(/^\d{4}-\d\d-\d\dT.*Z$/m).filter((f) => f.trim());
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
    const watch = watchInBackground('sample', 'xia');
    await eventually(async () => watch.io.out.includes('sample/xia'));
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.io.out).toContain('progress');
    await h.client.workflow.getHandle('sync/sample/xia').signal('cancel');
  });
});
