// `docsync dev` as a new user runs it: the real binary starts Temporal (with Web UI), Postgres and a
// worker; the CLI in another process syncs through it; the UI and /metrics answer; Ctrl-C (SIGINT to
// the process group) stops every child.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { stopAfterTest } from '../support/cleanup.js';
import { DOCSYNC_BIN, docsync, run } from '../support/cli.js';
import { eventually } from '../support/harness.js';
import { newSampleSource, seedThreeDocs } from '../support/sample.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'docsync-dev-home-'));
chmodSync(home, 0o755); // a usual project folder: the postgres user (we run as root) must reach .docsync/pgdata
// A clean shell: only DOCSYNC_HOME says where `docsync dev` keeps its state and dev.env.
const shellEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(TEMPORAL_|DATABASE_URL|DOCSYNC_)/.test(key)),
);
shellEnv.DOCSYNC_HOME = path.join(home, '.docsync');

interface DevStack {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const started: DevStack[] = [];

async function startDev(ports: { grpc: number; ui: number; metrics: number; core: number }): Promise<DevStack> {
  let output = '';
  const child = spawn(process.execPath, [DOCSYNC_BIN, 'dev', '--port', String(ports.grpc), '--ui-port', String(ports.ui)], {
    cwd: home,
    env: { ...shellEnv, DOCSYNC_METRICS_PORT: String(ports.metrics), DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${ports.core}` },
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stack = { child, output: () => output, exited };
  started.push(stack);
  // A test that fails before its Ctrl-C must not leave the stack (Temporal, Postgres, worker) running.
  stopAfterTest(() => killGroup(stack));
  const up = eventually(async () => output.includes('"msg":"worker started"'));
  const died = exited.then((code) => Promise.reject(new Error(`exited with code ${code}`)));
  await Promise.race([up, died]).catch((err: Error) => {
    throw new Error(`docsync dev did not come up (${err.message}); its output:\n${output}`);
  });
  return stack;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function ctrlC(stack: DevStack): Promise<number | null> {
  process.kill(-stack.child.pid!, 'SIGINT');
  return stack.exited;
}

/** SIGKILL to the stack's whole process group, unless it already exited; safe to call twice. */
function killGroup(s: DevStack): void {
  if (s.child.exitCode !== null || s.child.signalCode !== null || s.child.pid === undefined) return;
  try {
    process.kill(-s.child.pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // the group is already gone
  }
}

afterAll(async () => {
  for (const s of started) killGroup(s);
});

describe('docsync dev', () => {
  it('comes up, syncs from another shell, serves the UI and metrics, and stops cleanly on Ctrl-C', async () => {
    // A dev.env left by an earlier run points at services that are gone: dev must start fresh ones.
    mkdirSync(shellEnv.DOCSYNC_HOME!, { recursive: true });
    writeFileSync(
      path.join(shellEnv.DOCSYNC_HOME!, 'dev.env'),
      'TEMPORAL_ADDRESS=127.0.0.1:1\nDATABASE_URL=postgres://postgres@127.0.0.1:1/postgres\n',
    );
    const ports = { grpc: await freePort(), ui: await freePort(), metrics: await freePort(), core: await freePort() };
    const dev = await startDev(ports);
    expect(dev.output()).toContain(`Temporal Web UI: http://127.0.0.1:${ports.ui}`);
    expect(dev.output()).toContain(`Worker metrics:  http://127.0.0.1:${ports.metrics}/metrics`);
    const children = (await run('ps', ['-o', 'pid=,args=', '--ppid', String(dev.child.pid)])).stdout.trim().split('\n');
    const servicePids = children
      .filter((l) => /temporal server start-dev|bin\/postgres /.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(servicePids).toHaveLength(2);

    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');

    // Another shell: the CLI finds the stack through .docsync/dev.env.
    const source = newSampleSource();
    await seedThreeDocs(source);
    const config = path.join(source.dir, 'dana.json');
    writeFileSync(config, JSON.stringify({ sourceDir: source.dir }));
    const sync = await docsync(['sync', 'sample', 'dana', '--config', config, '--once'], { cwd: home, env: shellEnv });
    expect(sync.stdout).toContain('started sync/sample/dana on task queue docsync');
    await eventually(
      async () =>
        (await docsync(['docs', 'list', 'sample', 'dana', '--status', 'fetched', '--json'], { cwd: home, env: shellEnv })).stdout
          .trim()
          .split('\n').length === 3,
    );

    const metrics = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/docsync_documents_total\{connector="sample",outcome="fetched"\} 3/);

    expect(await ctrlC(dev)).toBe(0);
    expect(dev.output()).toContain('"msg":"worker stopped"');
    await eventually(async () => servicePids.every((pid) => !alive(pid)), 60_000);
  });
});
