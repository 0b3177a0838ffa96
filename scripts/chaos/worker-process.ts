// A docsync worker as its own OS process (`src/workers/main.ts` with env settings), so the chaos
// run can `kill -9` it by its pid and start a fresh one, like a crashed container being replaced.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

export class WorkerProcess {
  private child?: ChildProcess;
  private stopping = false;
  /** Exits we did not cause (a worker that died on its own, e.g. during a server restart). */
  unexpectedExits = 0;
  starts = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly onUnexpectedExit: (code: number | null, signal: string | null) => void = () => undefined,
  ) {}

  pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the worker and resolves once it logged "worker started" (polling its task queue). */
  async start(timeoutMs = 180_000): Promise<void> {
    if (this.child) throw new Error(`worker already running (pid ${this.child.pid})`);
    const args = ['--import', 'tsx', 'src/workers/main.ts'];
    // setpriv execs in place (same pid) and makes the kernel kill the worker if this process dies.
    const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...args]] : [process.execPath, args];
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts += 1;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker (pid ${child.pid}) not started within ${timeoutMs} ms; see ${this.logFile}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (output.length < 100_000) output += chunk.toString('utf8');
        if (output.includes('"worker started"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited while starting (code ${code}, signal ${signal}); see ${this.logFile}`));
      });
    });
    child.once('exit', (code, signal) => {
      log.end();
      if (this.child === child) this.child = undefined;
      if (!this.stopping && signal !== 'SIGKILL') {
        this.unexpectedExits += 1;
        this.onUnexpectedExit(code, signal);
      }
    });
    await ready;
  }

  /** kill -9 our own worker by its pid and wait until it is gone. */
  async kill9(): Promise<number> {
    const child = this.child;
    if (!child?.pid) throw new Error('no worker to kill');
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGKILL');
    await gone;
    return child.pid;
  }

  /** Graceful stop (SIGTERM drains), SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.stopping = true;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
    this.stopping = false;
  }
}
