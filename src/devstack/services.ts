// Local service helpers for tests, benches and CI: a throwaway Postgres and a Temporal dev server,
// started as child processes on free ports, without Docker. `bash scripts/install.sh` installs the
// binaries these helpers look for.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Connection } from '@temporalio/client';

const INSTALL_HINT = 'run `bash scripts/install.sh` (or see it for what to install)';

/** Search attributes the Docsync workflows use; registered when the dev server starts. */
export const DOCSYNC_SEARCH_ATTRIBUTES = {
  DocsyncConnector: 'Keyword',
  DocsyncUser: 'Keyword',
  DocsyncPhase: 'Keyword',
  DocsyncNextSyncAt: 'Datetime',
} as const;

export interface PostgresHandle {
  /** Connection URL of the admin database (`postgres`). */
  url: string;
  /** Fast shutdown (SIGINT) of our own postmaster; removes the temp dir if we created it. */
  stop(): Promise<void>;
  /** Stop and start again on the same port and data dir (data survives). */
  restart(): Promise<void>;
  /** Pid of the postmaster, undefined when stopped or when DATABASE_URL is used. */
  pid(): number | undefined;
}

export interface StartPostgresOptions {
  /** Keep data here instead of a temp dir; it is never deleted, and reused if already initialised. */
  dataDir?: string;
}

export interface TemporalHandle {
  /** gRPC address `127.0.0.1:<port>`. */
  address: string;
  namespace: string;
  /** Web UI URL when started with `ui: true`. */
  uiUrl?: string;
  /** SIGTERM our own server process, SIGKILL after 10 s; removes the temp dir. */
  stop(): Promise<void>;
  /** Stop and start again on the same ports (state survives only with `dbFile`). */
  restart(): Promise<void>;
  /** Pid of the server, undefined when stopped. */
  pid(): number | undefined;
}

export interface StartTemporalOptions {
  /** SQLite file for persistent state; in-memory (lost on stop/restart) when omitted. */
  dbFile?: string;
  /** Serve the Web UI (default: headless). */
  ui?: boolean;
  /** Namespace to create at launch (default: `default`, which always exists). */
  namespace?: string;
  /** Frontend gRPC port (default: a free port). */
  port?: number;
  /** Web UI port when `ui` is set (default: a free port). */
  uiPort?: number;
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Ask the kernel for a free TCP port on 127.0.0.1 (racy by nature, but fine for local services). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: every process we start is killed if Node exits, so no orphans remain.

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
function makeTempDir(prefix: string): string {
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

function findOnPath(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

// setpriv (util-linux) execs in place, so the pid we get is the service's own pid, and it sets a
// parent-death signal: the service dies even if Node is SIGKILLed and no exit handler runs.
const SETPRIV = findOnPath('setpriv');

interface LaunchOptions {
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

function userIds(user: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`user "${user}" does not exist; ${INSTALL_HINT}`);
  }
}

function logTail(file: string, bytes = 4000): string {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8').trim();
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kill our own child by pid with `signal`, SIGKILL after graceMs, and wait until it is gone. */
async function killChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
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
function trackSpawnError(child: ChildProcess): { error?: Error } {
  const state: { error?: Error } = {};
  child.on('error', (err) => (state.error = err));
  return state;
}

const isPortClash = (err: unknown): boolean => /address already in use/i.test(String((err as Error)?.message ?? err));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = (): boolean => process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------
// Postgres

function hasServerBinaries(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'postgres')) && fs.existsSync(path.join(dir, 'initdb'));
}

/** Directory holding `postgres` and `initdb`: PG_BINDIR, Debian's highest /usr/lib/postgresql/N/bin, pg_config, PATH. */
/**
 * Starts a server on freshly picked ports. freePort() is racy with other processes starting
 * servers, so on a port clash it picks again (3 attempts); on failure the temp dir is removed.
 */
async function startOnFreePorts(
  pick: () => Promise<void>,
  start: () => Promise<void>,
  files: { logFile: string; tmpDir: string },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await pick();
    fs.writeFileSync(files.logFile, '');
    try {
      await start();
      return;
    } catch (err) {
      if (attempt < 3 && isPortClash(err)) continue;
      fs.rmSync(files.tmpDir, { recursive: true, force: true });
      throw err;
    }
  }
}

export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  // Debian keeps server binaries off PATH, one folder per major version: take the highest.
  try {
    const versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not Debian-style
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config
  }
  const onPath = findOnPath('postgres');
  if (onPath) candidates.push(path.dirname(onPath));
  const found = candidates.find(hasServerBinaries);
  if (!found) {
    throw new Error(
      `Postgres server binaries (postgres, initdb) not found (looked in: ${candidates.join(', ') || 'nothing'}); ${INSTALL_HINT}`,
    );
  }
  return found;
}

async function waitForPostgres(
  url: string,
  dataDir: string,
  child: ChildProcess,
  spawnState: { error?: Error },
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (spawnState.error) throw new Error(`postgres failed to spawn: ${spawnState.error.message}`);
    if (exited(child)) {
      throw new Error(`postgres exited (code ${child.exitCode}, signal ${child.signalCode}) while starting:\n${logTail(logFile)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Another throwaway server may have grabbed this port first (freePort is racy): make sure it's ours.
      const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
      if (rows[0]?.data_directory !== dataDir) {
        throw new Error(`port taken by another Postgres (data_directory ${rows[0]?.data_directory}): address already in use`);
      }
      return;
    } catch (err) {
      lastError = err; // ECONNREFUSED while booting, 57P03 "starting up"
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(50);
  }
  throw new Error(`postgres did not accept connections within 60 s (${String(lastError)}):\n${logTail(logFile)}`);
}

/**
 * Start a throwaway Postgres on a free port (or reuse DATABASE_URL when set). Postgres refuses to run as
 * root, so as root the data dir is owned by and the server runs as the `postgres` user.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const external = process.env.DATABASE_URL;
  if (external) {
    // Someone else owns this server: nothing to stop or restart.
    return { url: external, stop: async () => undefined, restart: async () => undefined, pid: () => undefined };
  }

  const binDir = postgresBinDir();
  const user = isRoot() ? 'postgres' : undefined;
  const ids = user ? userIds(user) : undefined;

  // Temp dir for the socket and the log (and the data unless dataDir is given), owned by the server user.
  const tmpDir = makeTempDir('docsync-pg-');
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : path.join(tmpDir, 'data');
  const logFile = path.join(tmpDir, 'postgres.log');
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (ids) {
      fs.chownSync(tmpDir, ids.uid, ids.gid);
      chownRecursive(dataDir, ids.uid, ids.gid);
    }
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      const initdb = path.join(binDir, 'initdb');
      // C.UTF-8 exists on every glibc >= 2.35 and does not depend on the host's LANG being generated.
      const initArgs = ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8'];
      const [cmd, args] = user ? ['runuser', ['-u', user, '--', initdb, ...initArgs]] : [initdb, initArgs];
      try {
        execFileSync(cmd, args, { cwd: tmpDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      } catch (err) {
        const e = err as { stderr?: string; stdout?: string; message: string };
        throw new Error(`initdb failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim());
      }
    }
  } catch (err) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }

  let port = 0;
  let url = '';
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = ['-D', dataDir, '-p', String(port), '-k', tmpDir, '-h', '127.0.0.1'];
    args.push('-c', 'fsync=off', '-c', 'max_connections=200');
    installExitHandlers();
    const c = launch(path.join(binDir, 'postgres'), args, { logFile, user, deathSignal: 'SIGINT', cwd: tmpDir });
    const spawnState = trackSpawnError(c);
    child = c;
    if (c.pid !== undefined) tracked.set(c.pid, { pid: c.pid, signal: 'SIGINT', graceMs: 5000, removeDir: tmpDir });
    c.once('exit', () => c.pid !== undefined && tracked.delete(c.pid));
    try {
      await waitForPostgres(url, dataDir, c, spawnState, logFile);
    } catch (err) {
      await killChild(c, 'SIGQUIT', 5000);
      throw err;
    }
  };

  const stopServer = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c) return;
    if (c.pid !== undefined) tracked.delete(c.pid);
    await killChild(c, 'SIGINT', 15_000); // SIGINT = fast shutdown
  };

  await startOnFreePorts(async () => {
    port = await freePort();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }, start, { logFile, tmpDir });

  return {
    url,
    pid: () => (child && !exited(child) ? child.pid : undefined),
    restart: async () => {
      await stopServer();
      await start();
    },
    stop: async () => {
      await stopServer();
      fs.rmSync(tmpDir, { recursive: true, force: true }); // a caller's dataDir lives elsewhere and stays
    },
  };
}

function chownRecursive(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownRecursive(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}

/** Drop (if it exists) and create database `name` on the server at adminUrl; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name: ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    try {
      // FORCE (Postgres 13+) ends leftover sessions from a previous run instead of failing.
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42601') throw err; // older server: no WITH (FORCE)
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    }
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// Temporal

/**
 * A pyenv shim is a bash script that picks a Python version from the cwd on every call; resolve it to
 * the real binary so the pid we track is the server's and a `.python-version` elsewhere cannot break it.
 */
function resolvePyenvShim(file: string, name: string): string {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    head = buf.subarray(0, n).toString('utf8');
  } catch {
    return file;
  }
  const pyenv = /exec "([^"]*\/pyenv)" exec/.exec(head)?.[1];
  if (!head.startsWith('#!') || !pyenv) return file;
  const root = /export PYENV_ROOT="([^"]+)"/.exec(head)?.[1];
  try {
    const real = execFileSync(pyenv, ['which', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: root ? { ...process.env, PYENV_ROOT: root } : process.env,
    }).trim();
    return real && fs.existsSync(real) ? fs.realpathSync(real) : file;
  } catch {
    return file; // the shim itself still works
  }
}

function findTool(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv} does not exist`);
    return fromEnv;
  }
  // pip --user installs land in ~/.local/bin, which is often not on PATH.
  const found = findOnPath(name, [path.join(os.homedir(), '.local', 'bin')]);
  if (!found) throw new Error(`\`${name}\` not found on PATH (or set ${envVar}); ${INSTALL_HINT}`);
  return resolvePyenvShim(fs.realpathSync(found), name);
}

/** Path of the `temporal` CLI: $TEMPORAL_CLI, else `temporal` on PATH (pyenv shims resolved). */
export function temporalCliPath(): string {
  return findTool('temporal', 'TEMPORAL_CLI');
}

/** Path of the time-skipping `temporal-test-server`: $TEMPORAL_TEST_SERVER, else on PATH. */
export function temporalTestServerPath(): string {
  return findTool('temporal-test-server', 'TEMPORAL_TEST_SERVER');
}

/** Open and close a raw HTTP/2 session (we own the socket, so nothing leaks on failure). */
function speaksHttp2(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    session.once('remoteSettings', () => done(true)); // the server's SETTINGS frame, not just TCP
    session.once('error', () => done(false));
  });
}

/**
 * Whether `pid` owns the socket listening on 127.0.0.1:`port` (Linux /proc); undefined when unknown.
 * freePort() is racy, so a dev server started by someone else may answer on "our" port.
 */
function ownsListener(pid: number, port: number): boolean | undefined {
  let inodes: Set<string>;
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    inodes = new Set(
      ['/proc/net/tcp', '/proc/net/tcp6']
        .flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').slice(1) : []))
        .map((line) => line.trim().split(/\s+/))
        // fields: sl local_address rem_address st ... inode; st 0A = LISTEN
        .filter((f) => f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A')
        .map((f) => f[9]),
    );
    if (inodes.size === 0) return false;
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return true;
    }
    return false;
  } catch {
    return undefined; // no /proc, or the process is gone
  }
}

async function waitForTemporal(
  port: number,
  namespace: string,
  child: ChildProcess,
  spawnState: { error?: Error },
  logFile: string,
): Promise<void> {
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  const wanted = Object.keys(DOCSYNC_SEARCH_ATTRIBUTES);
  let connection: Connection | undefined;
  let lastProblem = 'not started';
  try {
    while (Date.now() < deadline) {
      if (spawnState.error) throw new Error(`temporal failed to spawn: ${spawnState.error.message}`);
      if (exited(child)) {
        throw new Error(`temporal exited (code ${child.exitCode}, signal ${child.signalCode}) while starting:\n${logTail(logFile)}`);
      }
      try {
        if (!connection) {
          // Only hand the port to gRPC once it speaks HTTP/2: a failed Connection.connect leaks its
          // channel, and against a non-gRPC listener that socket keeps Node alive forever.
          if (!(await speaksHttp2(address, 2000))) throw new Error(`nothing speaking HTTP/2 on ${address} yet`);
          const candidate = Connection.lazy({ address, connectTimeout: 2000 });
          try {
            await candidate.ensureConnected();
          } catch (err) {
            await candidate.close().catch(() => undefined);
            throw err;
          }
          connection = candidate;
        }
        await connection.workflowService.getSystemInfo({});
        // Search attributes are registered asynchronously after the frontend is up: wait for them too.
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = wanted.filter((k) => !customAttributes || !(k in customAttributes));
        if (missing.length === 0) {
          if (child.pid !== undefined && ownsListener(child.pid, port) === false) {
            throw new Error(`${address} answers, but not from our temporal (pid ${child.pid}): address already in use`);
          }
          return;
        }
        lastProblem = `search attributes not visible yet in ${namespace}: ${missing.join(', ')}`;
      } catch (err) {
        if (isPortClash(err)) throw err;
        lastProblem = (err as Error).message;
      }
      await sleep(100);
    }
  } finally {
    await connection?.close().catch(() => undefined);
  }
  throw new Error(`temporal at ${address} not ready within 90 s (${lastProblem}):\n${logTail(logFile)}`);
}

/** Start `temporal server start-dev` on free ports with the Docsync search attributes registered. */
export async function startTemporal(opts: StartTemporalOptions = {}): Promise<TemporalHandle> {
  const cli = temporalCliPath();
  const namespace = opts.namespace ?? 'default';
  const tmpDir = makeTempDir('docsync-temporal-');
  const logFile = path.join(tmpDir, 'temporal.log');
  let ports = { port: 0, http: 0, metrics: 0, ui: 0 };
  const pickPorts = async (): Promise<void> => {
    const [port, http, metrics, ui] = await Promise.all([
      opts.port ?? freePort(),
      freePort(),
      freePort(),
      opts.ui ? (opts.uiPort ?? freePort()) : 0,
    ]);
    ports = { port, http, metrics, ui };
  };
  const args = (): string[] => {
    const a = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(ports.port)];
    a.push(...(opts.ui ? ['--ui-port', String(ports.ui)] : ['--headless']));
    a.push('--http-port', String(ports.http), '--metrics-port', String(ports.metrics));
    if (opts.dbFile) a.push('--db-filename', path.resolve(opts.dbFile));
    if (namespace !== 'default') a.push('--namespace', namespace); // `default` always exists
    for (const [key, type] of Object.entries(DOCSYNC_SEARCH_ATTRIBUTES)) a.push('--search-attribute', `${key}=${type}`);
    a.push('--log-level', 'error');
    return a;
  };

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    installExitHandlers();
    // SIGKILL on parent death: SQLite state is crash-safe and a hung graceful stop would leave an orphan.
    const c = launch(cli, args(), { logFile, deathSignal: 'SIGKILL', cwd: tmpDir });
    const spawnState = trackSpawnError(c);
    child = c;
    if (c.pid !== undefined) tracked.set(c.pid, { pid: c.pid, signal: 'SIGTERM', graceMs: 3000, removeDir: tmpDir });
    c.once('exit', () => c.pid !== undefined && tracked.delete(c.pid));
    try {
      await waitForTemporal(ports.port, namespace, c, spawnState, logFile);
    } catch (err) {
      await killChild(c, 'SIGKILL', 1000);
      throw err;
    }
  };
  const stopServer = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c) return;
    if (c.pid !== undefined) tracked.delete(c.pid);
    await killChild(c, 'SIGTERM', 10_000);
  };

  await startOnFreePorts(pickPorts, start, { logFile, tmpDir });

  return {
    address: `127.0.0.1:${ports.port}`,
    namespace,
    uiUrl: opts.ui ? `http://127.0.0.1:${ports.ui}` : undefined,
    pid: () => (child && !exited(child) ? child.pid : undefined),
    restart: async () => {
      await stopServer();
      await start();
    },
    stop: async () => {
      await stopServer();
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}
