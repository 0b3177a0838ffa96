// `docsync dev` never hangs: held ports and missing binaries are refused within seconds with the
// reason; SIGINT/SIGTERM during startup (services booting, or the worker being built) and SIGTERM
// after it stop every child and exit. Through the real binary; survivors are looked up in the process
// list by the test's own DOCSYNC_HOME, which every service's command line names.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { stopAfterTest } from '../support/cleanup.js';
import { DOCSYNC_BIN, run } from '../support/cli.js';
import { eventually } from '../support/harness.js';

interface Dev {
  home: string;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
}

/** Ports a test hands to `docsync dev`, all free unless the test holds one. */
async function devPorts() {
  return { grpc: await freePort(), ui: await freePort(), metrics: await freePort(), core: await freePort() };
}

function startDev(ports: Awaited<ReturnType<typeof devPorts>>, extraEnv: NodeJS.ProcessEnv = {}): Dev {
  const home = mkdtempSync(path.join(os.tmpdir(), 'q6-dev-home-'));
  chmodSync(home, 0o755); // the postgres user (we run as root) must reach .docsync/pgdata
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|DATABASE_URL|DOCSYNC_)/.test(k)),
  );
  Object.assign(env, {
    DOCSYNC_HOME: path.join(home, '.docsync'),
    DOCSYNC_METRICS_PORT: String(ports.metrics),
    DOCSYNC_CORE_METRICS_ADDRESS: `127.0.0.1:${ports.core}`,
    ...extraEnv,
  });
  const args = [DOCSYNC_BIN, 'dev', '--port', String(ports.grpc), '--ui-port', String(ports.ui)];
  const child = spawn(process.execPath, args, { cwd: home, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  // Whatever the test asserted, nothing of this stack outlives it.
  stopAfterTest(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  return { home, pid: child.pid!, output: () => output, exited };
}

/** Processes (other than the docsync node process itself) whose command line names this home. */
async function servicesOf(dev: Dev): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes(dev.home) && /temporal|postgres/.test(l) && !l.includes(DOCSYNC_BIN))
    .map((l) => l.trim());
}

/** A listener this test owns, on `port`, closed when the test ends. */
async function holdPort(port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  stopAfterTest(() => new Promise((resolve) => server.close(resolve)));
}

/** Exit code within `ms` (a hang fails the test instead of timing it out). */
async function exitCodeWithin(dev: Dev, ms: number): Promise<number | null> {
  const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref());
  const result = await Promise.race([dev.exited, timeout]);
  if (result === 'hung') throw new Error(`docsync dev did not exit within ${ms} ms; output:\n${dev.output()}`);
  return result;
}

describe('docsync dev startup', () => {
  it.each([
    ['grpc', 'Temporal gRPC, --port'],
    ['metrics', 'worker metrics, DOCSYNC_METRICS_PORT'],
  ] as const)('refuses a %s port held by another process, naming it, and starts nothing', async (which, what) => {
    const ports = await devPorts();
    await holdPort(ports[which]);
    const dev = startDev(ports);
    expect(await exitCodeWithin(dev, 60_000)).toBe(2);
    expect(dev.output()).toContain(`port ${ports[which]} (${what}) is already in use by pid ${process.pid}`);
    expect(await servicesOf(dev)).toEqual([]);
  });

  it('names a missing temporal binary and exits non-zero', async () => {
    const dev = startDev(await devPorts(), { TEMPORAL_CLI: '/nonexistent/temporal' });
    expect(await exitCodeWithin(dev, 60_000)).toBe(2);
    expect(dev.output()).toContain('TEMPORAL_CLI=/nonexistent/temporal does not exist');
    expect(await servicesOf(dev)).toEqual([]);
  });

  it('stops everything and exits 143 on SIGTERM while the services boot', async () => {
    const dev = startDev(await devPorts());
    const booting = await eventually(async () => (await servicesOf(dev)).length > 0 && servicesOf(dev), 90_000, 50);
    expect(booting.length).toBeGreaterThan(0);
    process.kill(dev.pid, 'SIGTERM');
    expect(await exitCodeWithin(dev, 30_000)).toBe(143);
    expect(dev.output()).toContain('docsync dev: SIGTERM during startup: stopping everything');
    await eventually(async () => (await servicesOf(dev)).length === 0, 15_000);
  });

  it('stops everything and exits 130 on SIGINT while the worker is being built (services up, runtime installed)', async () => {
    const dev = startDev(await devPorts());
    await eventually(async () => dev.output().includes('"msg":"migrations applied"'), 120_000, 50);
    const services = await servicesOf(dev);
    expect(services.filter((l) => /start-dev/.test(l))).toHaveLength(1);
    expect(services.filter((l) => /bin\/postgres /.test(l))).toHaveLength(1);
    process.kill(dev.pid, 'SIGINT');
    expect(await exitCodeWithin(dev, 30_000)).toBe(130);
    expect(dev.output()).toContain('docsync dev: SIGINT during startup: stopping everything');
    await eventually(async () => (await servicesOf(dev)).length === 0, 15_000);
  });

  it('drains the worker and stops the services on SIGTERM once running, exiting 0', async () => {
    const dev = startDev(await devPorts());
    await eventually(async () => dev.output().includes('"msg":"worker started"'), 120_000);
    expect(await servicesOf(dev)).toHaveLength(2);
    process.kill(dev.pid, 'SIGTERM'); // the process only, as a service manager or `kill` sends it
    expect(await exitCodeWithin(dev, 60_000)).toBe(0);
    expect(dev.output()).toContain('"msg":"worker stopped"');
    await eventually(async () => (await servicesOf(dev)).length === 0, 15_000);
  });
});
