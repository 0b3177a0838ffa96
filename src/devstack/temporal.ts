// A Temporal dev server (`temporal server start-dev`) on free ports for dev, tests and benches, with
// the Docsync search attributes registered; and where the `temporal` / test-server binaries are.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findTool } from './binaries.js';
import { freePort, holdsSocket, isPortClash, listeningInodes, startOnFreePorts } from './ports.js';
import { exited, logTail, makeTempDir, sleep, superviseServer } from './process.js';

/** Search attributes the Docsync workflows use; registered when the dev server starts. */
export const DOCSYNC_SEARCH_ATTRIBUTES = {
  DocsyncConnector: 'Keyword',
  DocsyncUser: 'Keyword',
  DocsyncPhase: 'Keyword',
  DocsyncNextSyncAt: 'Datetime',
} as const;

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
  const inodes = listeningInodes(port);
  if (!inodes) return undefined;
  return inodes.size === 0 ? false : holdsSocket(pid, inodes);
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

interface DevServerPorts {
  port: number;
  http: number;
  metrics: number;
  ui: number;
}

function devServerArgs(opts: StartTemporalOptions, namespace: string, ports: DevServerPorts): string[] {
  const a = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(ports.port)];
  a.push(...(opts.ui ? ['--ui-port', String(ports.ui)] : ['--headless']));
  a.push('--http-port', String(ports.http), '--metrics-port', String(ports.metrics));
  if (opts.dbFile) a.push('--db-filename', path.resolve(opts.dbFile));
  if (namespace !== 'default') a.push('--namespace', namespace); // `default` always exists
  for (const [key, type] of Object.entries(DOCSYNC_SEARCH_ATTRIBUTES)) a.push('--search-attribute', `${key}=${type}`);
  a.push('--log-level', 'error');
  return a;
}

/** Start `temporal server start-dev` on free ports with the Docsync search attributes registered. */
export async function startTemporal(opts: StartTemporalOptions = {}): Promise<TemporalHandle> {
  const cli = temporalCliPath();
  const namespace = opts.namespace ?? 'default';
  const tmpDir = makeTempDir('docsync-temporal-');
  const logFile = path.join(tmpDir, 'temporal.log');
  let ports: DevServerPorts = { port: 0, http: 0, metrics: 0, ui: 0 };
  const pickPorts = async (): Promise<void> => {
    const [port, http, metrics, ui] = await Promise.all([
      opts.port ?? freePort(),
      freePort(),
      freePort(),
      opts.ui ? (opts.uiPort ?? freePort()) : 0,
    ]);
    ports = { port, http, metrics, ui };
  };
  const server = superviseServer({
    cmd: cli,
    args: () => devServerArgs(opts, namespace, ports),
    // SIGKILL on parent death: SQLite state is crash-safe and a hung graceful stop would leave an orphan.
    launch: { logFile, deathSignal: 'SIGKILL', cwd: tmpDir },
    onExit: { signal: 'SIGTERM', graceMs: 3000, removeDir: tmpDir },
    stop: { signal: 'SIGTERM', graceMs: 10_000 },
    abort: { signal: 'SIGKILL', graceMs: 1000 },
    waitReady: (child, spawnState) => waitForTemporal(ports.port, namespace, child, spawnState, logFile),
  });
  // Ports the caller fixed clash again on a second try: fail at once with the reason.
  const fixed = opts.port !== undefined || (opts.ui === true && opts.uiPort !== undefined);
  await startOnFreePorts(pickPorts, server.start, { logFile, tmpDir }, fixed ? 1 : 3);
  return {
    address: `127.0.0.1:${ports.port}`,
    namespace,
    uiUrl: opts.ui ? `http://127.0.0.1:${ports.ui}` : undefined,
    pid: server.pid,
    restart: async () => {
      await server.stop();
      await server.start();
    },
    stop: async () => {
      await server.stop();
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}
