// Child-process supervision for the dev services: launch (as another user, with a parent-death
// signal), wait, stop by pid, temp dirs tagged with their owner, and exit handlers so no orphans remain.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, INSTALL_HINT } from './binaries.js';

// Every process we start is killed if Node exits, so no orphans remain.
interface Tracked {
  pid: number;
  /** Signal for a clean shutdown; SIGKILL follows after graceMs. */
  signal: NodeJS.Signals;
  graceMs: number;
  /** Temp dir to remove once the process is gone. */
  removeDir?: string;
}

const tracked = new Map<number, Tracked>();
let exitHandlersInstalled = false;
let signalsLeftToCaller = false;

/**
 * The caller handles SIGINT/SIGTERM/SIGHUP itself (`docsync dev`: a running worker drains before the
 * services it talks to stop); the exit handler still stops every tracked process when Node exits.
 */
export function leaveSignalsToCaller(): void {
  signalsLeftToCaller = true;
}

// Synchronous sleep: exit handlers cannot await.
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// A zombie counts as dead: in an exit handler Node's event loop no longer reaps children.
function isAliveSync(pid: number): boolean {
  if (fs.existsSync('/proc/self/stat')) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0); // no /proc (not Linux): best effort, zombies count as alive
    return true;
  } catch {
    return false;
  }
}

function killTrackedSync(t: Tracked): void {
  try {
    process.kill(t.pid, t.signal);
    const deadline = Date.now() + t.graceMs;
    while (isAliveSync(t.pid) && Date.now() < deadline) sleepSync(20);
    if (isAliveSync(t.pid)) process.kill(t.pid, 'SIGKILL');
    const killDeadline = Date.now() + 2000;
    while (isAliveSync(t.pid) && Date.now() < killDeadline) sleepSync(20);
  } catch {
    // already gone
  }
  if (t.removeDir) fs.rmSync(t.removeDir, { recursive: true, force: true });
}

function cleanupAllSync(): void {
  for (const t of [...tracked.values()]) {
    tracked.delete(t.pid);
    killTrackedSync(t);
  }
}

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // Prepend: other handlers (vitest's) call process.exit() from theirs, and listeners after that never run.
  process.prependListener('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (signalsLeftToCaller) return;
      cleanupAllSync();
      // Adding a listener disables Node's default "die on signal"; restore it unless someone else handles it.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.prependListener(sig, onSignal);
  }
}

/**
 * Make a temp dir tagged with our pid. A Node process that was SIGKILLed cannot remove its dirs (its
 * services still die via the parent-death signal), so each start sweeps dirs whose owner is gone.
 */
export function makeTempDir(prefix: string): string {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(tmp, name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
      if (owner > 0 && !isAliveSync(owner)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // no owner file (being created, or not ours): leave it
    }
  }
  const dir = fs.mkdtempSync(path.join(tmp, prefix));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

// setpriv (util-linux) execs in place, so the pid we get is the service's own pid, and it sets a
// parent-death signal: the service dies even if Node is SIGKILLed and no exit handler runs.
const SETPRIV = findOnPath('setpriv');

export interface LaunchOptions {
  logFile: string;
  /** Run as this user (only when we are root). */
  user?: string;
  /** Sent by the kernel if Node dies without cleaning up. */
  deathSignal: NodeJS.Signals;
  cwd?: string;
}

function launch(cmd: string, args: string[], opts: LaunchOptions): ChildProcess {
  const logFd = fs.openSync(opts.logFile, 'a');
  try {
    if (SETPRIV) {
      const priv = opts.user ? ['--reuid', opts.user, '--regid', opts.user, '--init-groups'] : [];
      return spawn(SETPRIV, [...priv, '--pdeathsig', opts.deathSignal, '--', cmd, ...args], {
        stdio: ['ignore', logFd, logFd],
        cwd: opts.cwd,
      });
    }
    // Fallback without setpriv: Node switches uid/gid itself (and drops supplementary groups).
    const ids = opts.user ? userIds(opts.user) : undefined;
    return spawn(cmd, args, { stdio: ['ignore', logFd, logFd], cwd: opts.cwd, uid: ids?.uid, gid: ids?.gid });
  } finally {
    fs.closeSync(logFd); // the child has its own copy
  }
}

export function userIds(user: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`user "${user}" does not exist; ${INSTALL_HINT}`);
  }
}

export function logTail(file: string, bytes = 4000): string {
  try {
    const buf = fs.readFileSync(file);
    return buf
      .subarray(Math.max(0, buf.length - bytes))
      .toString('utf8')
      .trim();
  } catch {
    return '(no log)';
  }
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kill our own child by pid with `signal`, SIGKILL after graceMs, and wait until it is gone. */
export async function killChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (exited(child)) return;
  const gone = waitForExit(child);
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  const result = await Promise.race([gone.then(() => 'exited' as const), timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await gone;
  }
}

/** Resolve spawn errors (e.g. ENOENT) that would otherwise surface as unhandled 'error' events. */
export function trackSpawnError(child: ChildProcess): { error?: Error } {
  const state: { error?: Error } = {};
  child.on('error', (err) => (state.error = err));
  return state;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const isRoot = (): boolean => process.getuid?.() === 0;

/** A long-running service process: how to launch it, when it counts as ready, how to stop it. */
export interface ServerSpec {
  cmd: string;
  /** Read on every start: ports may be picked again after a clash. */
  args(): string[];
  launch: LaunchOptions;
  /** How the exit handlers end it if Node exits first, and the temp dir they remove then. */
  onExit: { signal: NodeJS.Signals; graceMs: number; removeDir: string };
  /** A clean stop. */
  stop: { signal: NodeJS.Signals; graceMs: number };
  /** Ends a start that never became ready. */
  abort: { signal: NodeJS.Signals; graceMs: number };
  waitReady(child: ChildProcess, spawnState: { error?: Error }): Promise<void>;
}

export interface SupervisedServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Pid of the running process, undefined when stopped. */
  pid(): number | undefined;
}

export function superviseServer(spec: ServerSpec): SupervisedServer {
  let child: ChildProcess | undefined;
  return {
    async start() {
      installExitHandlers();
      const c = launch(spec.cmd, spec.args(), spec.launch);
      const spawnState = trackSpawnError(c);
      child = c;
      if (c.pid !== undefined) tracked.set(c.pid, { pid: c.pid, ...spec.onExit });
      c.once('exit', () => c.pid !== undefined && tracked.delete(c.pid));
      try {
        await spec.waitReady(c, spawnState);
      } catch (err) {
        await killChild(c, spec.abort.signal, spec.abort.graceMs);
        throw err;
      }
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c) return;
      if (c.pid !== undefined) tracked.delete(c.pid);
      await killChild(c, spec.stop.signal, spec.stop.graceMs);
    },
    pid: () => (child && !exited(child) ? child.pid : undefined),
  };
}
