// Apache Tika server for tests, dev and CI. The jar comes from Maven Central through `mvn
// dependency:copy` into the project-local cache .docsync/tika (gitignored); the server runs on a
// free loopback port and counts as started once `GET /version` answers.
//
//   npx tsx src/devstack/tika.ts fetch           download the jar (CI runs this before the tests)
//   npx tsx src/devstack/tika.ts start [port]    run a server in the foreground, print its URL
//
// Tests: `const tika = await startTika(); ... await tika.stop();`
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** tika-server-standard 3.x runs on Java 11+ (checked on OpenJDK 17). */
export const TIKA_VERSION = process.env.DOCSYNC_TIKA_VERSION ?? '3.2.2';
// src/devstack/ or dist/devstack/: two levels below the package root.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TIKA_DIR = path.join(repoRoot, '.docsync', 'tika');
export const tikaJarPath = (version = TIKA_VERSION) => path.join(TIKA_DIR, `tika-server-standard-${version}.jar`);

export interface TikaServer {
  url: string;
  version: string;
  /** Time from spawning java to the first answer of GET /version. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Returns the cached jar, fetching it with Maven first when missing. Fails loudly. */
export async function ensureTikaJar(version = TIKA_VERSION): Promise<string> {
  const jar = tikaJarPath(version);
  if (existsSync(jar)) return jar;
  // Copy into a private folder, then rename: concurrent callers never see a partial jar.
  const staging = path.join(TIKA_DIR, `.staging-${process.pid}-${Date.now()}`);
  await fs.mkdir(staging, { recursive: true });
  try {
    const artifact = `org.apache.tika:tika-server-standard:${version}`;
    const args = ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${staging}`];
    const { code, output } = await run('mvn', args);
    const fetched = path.join(staging, path.basename(jar));
    if (code !== 0 || !existsSync(fetched)) {
      throw new Error(`could not fetch ${artifact} with "mvn ${args.join(' ')}" (exit ${code}):\n${output.slice(-2000)}`);
    }
    await fs.rename(fetched, jar);
    return jar;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

export async function startTika(options: { port?: number; startupTimeoutMs?: number } = {}): Promise<TikaServer> {
  const jar = await ensureTikaJar();
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const javaOpts = (process.env.TIKA_JAVA_OPTS ?? '').split(/\s+/).filter(Boolean);
  const started = performance.now();
  const child = spawn('java', [...javaOpts, '-jar', jar, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = tail(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', () => undefined); // reported through `exited` / the log

  const deadline = Date.now() + (options.startupTimeoutMs ?? 120_000);
  let version: string | undefined;
  while (!version) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Tika server exited (code ${child.exitCode}) before answering:\n${log()}`);
    }
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`Tika server did not answer GET ${url}/version within ${options.startupTimeoutMs ?? 120_000} ms:\n${log()}`);
    }
    version = await fetch(`${url}/version`, { signal: AbortSignal.timeout(2000) })
      .then(async (res) => (res.ok ? (await res.text()).trim() : undefined))
      .catch(() => undefined);
    if (!version) await new Promise((r) => setTimeout(r, 150));
  }
  const startupMs = Math.round(performance.now() - started);
  return { url, version, startupMs, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last lines of the child's output for error messages. */
function tail(child: ChildProcess, maxLines = 40): () => string {
  const lines: string[] = [];
  const push = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - maxLines));
  };
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
  return () => lines.join('\n');
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: -1, output: `${output}\n${err.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, portArg] = argv;
  if (command === 'fetch') {
    console.log(await ensureTikaJar());
    return;
  }
  if (command === 'start') {
    const tika = await startTika({ port: portArg ? Number(portArg) : undefined });
    console.log(`${tika.version} at ${tika.url} (started in ${tika.startupMs} ms); Ctrl-C stops it`);
    const stop = () => void tika.stop().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    return;
  }
  console.error('usage: tsx src/devstack/tika.ts fetch | start [port]');
  process.exitCode = 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
