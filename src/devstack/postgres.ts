// A throwaway Postgres for dev, tests and benches: initdb + postgres on a free port as a child
// process (as the `postgres` user when we are root), or DATABASE_URL when set; and createDatabase.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { findOnPath, INSTALL_HINT } from './binaries.js';
import { freePort, startOnFreePorts } from './ports.js';
import { exited, isRoot, logTail, makeTempDir, sleep, superviseServer, userIds } from './process.js';

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
  /**
   * fsync as production runs (default false: tests and dev trade crash safety for speed; the bench
   * turns it on, because commit latency with fsync is part of what it measures).
   */
  fsync?: boolean;
}

function hasServerBinaries(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'postgres')) && fs.existsSync(path.join(dir, 'initdb'));
}

/** Directory holding `postgres` and `initdb`: PG_BINDIR, Debian's highest /usr/lib/postgresql/N/bin, pg_config, PATH. */
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

/** Creates the data dir (owned by the server user) and runs initdb unless it is already initialised. */
function prepareDataDir(binDir: string, dataDir: string, tmpDir: string, user: string | undefined): void {
  const ids = user ? userIds(user) : undefined;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (ids) {
    fs.chownSync(tmpDir, ids.uid, ids.gid);
    chownRecursive(dataDir, ids.uid, ids.gid);
  }
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const initdb = path.join(binDir, 'initdb');
  // C.UTF-8 exists on every glibc >= 2.35 and does not depend on the host's LANG being generated.
  const initArgs = ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8'];
  const [cmd, args] = user ? ['runuser', ['-u', user, '--', initdb, ...initArgs]] : [initdb, initArgs];
  try {
    execFileSync(cmd, args, { cwd: tmpDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`initdb failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim(), { cause: err });
  }
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
  // Temp dir for the socket and the log (and the data unless dataDir is given), owned by the server user.
  const tmpDir = makeTempDir('docsync-pg-');
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : path.join(tmpDir, 'data');
  const logFile = path.join(tmpDir, 'postgres.log');
  try {
    prepareDataDir(binDir, dataDir, tmpDir, user);
  } catch (err) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
  let port = 0;
  let url = '';
  const server = superviseServer({
    cmd: path.join(binDir, 'postgres'),
    args: () => [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      tmpDir,
      '-h',
      '127.0.0.1',
      '-c',
      `fsync=${opts.fsync ? 'on' : 'off'}`,
      '-c',
      'max_connections=200',
    ],
    launch: { logFile, user, deathSignal: 'SIGINT', cwd: tmpDir },
    onExit: { signal: 'SIGINT', graceMs: 5000, removeDir: tmpDir },
    stop: { signal: 'SIGINT', graceMs: 15_000 }, // SIGINT = fast shutdown
    abort: { signal: 'SIGQUIT', graceMs: 5000 },
    waitReady: (child, spawnState) => waitForPostgres(url, dataDir, child, spawnState, logFile),
  });
  await startOnFreePorts(
    async () => {
      port = await freePort();
      url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
    server.start,
    { logFile, tmpDir },
  );
  return {
    url,
    pid: server.pid,
    restart: async () => {
      await server.stop();
      await server.start();
    },
    stop: async () => {
      await server.stop();
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
