// docker-compose.yml as Compose resolves it (`docker-compose config`, Debian's docker-compose installed by
// scripts/install.sh; no Docker engine needed), the Dockerfile's stages, and the compose setup job's
// own command run against the test Temporal: it retries until Temporal answers, then creates the
// configured namespace and registers the search attributes.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/devstack/ports.js';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../../src/workers/search-attributes.js';
import { stopAfterTest } from '../support/cleanup.js';
import { ROOT, run } from '../support/cli.js';
import { eventually } from '../support/harness.js';
import { NPM_CI_OMIT_DEV } from './production-install.js';

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  entrypoint?: string[];
  stop_grace_period?: string;
  volumes?: string[];
}

const KEY = 'ab'.repeat(32);
const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, DOCSYNC_SECRET_KEY: KEY, ...extra });

async function resolvedConfig(
  environment: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string; services: Record<string, Service> }> {
  const { code, stdout, stderr } = await run('docker-compose', ['config'], { cwd: ROOT, env: environment });
  if (code !== 0) return { code, stderr, services: {} };
  // docker-compose prints YAML; python3-yaml is its own dependency, so it is there whenever it is.
  const json = execFileSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: stdout,
  });
  return { code, stderr, services: JSON.parse(json.toString()).services };
}

describe('docker-compose.yml', () => {
  it('resolves to Temporal with an admin-tools schema step, a setup job and two worker roles, all on exact tags', async () => {
    const { code, stderr, services } = await resolvedConfig(
      env({ DOCSYNC_TASK_QUEUE: 'docsync-prod', TEMPORAL_NAMESPACE: 'docsync-prod' }),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Object.keys(services).sort()).toEqual([
      'docsync-setup',
      'postgres',
      'temporal',
      'temporal-schema',
      'temporal-ui',
      'tika',
      'worker-activities',
      'worker-workflows',
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).not.toMatch(/auto-setup/);
      expect(service.image, `${name}: exact version`).toMatch(/^[a-z0-9/_-]+:\d+\.\d+(\.\d+)*(-[a-z]+)?$/);
    }

    // The plain server starts once admin-tools created and migrated both databases.
    expect(services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
    const schema = services['temporal-schema'].command!.join(' ');
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema']) expect(schema).toContain(step);
    expect(services.temporal.image).toMatch(/^temporalio\/server:/);
    expect(services.temporal.depends_on?.['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });

    // Every worker waits for the setup job; both roles come from the one docsync image.
    const setup = services['docsync-setup'];
    expect(setup.command!.join(' ')).toContain('bin/docsync.mjs setup --create-namespace');
    expect(setup.environment).toMatchObject({ TEMPORAL_NAMESPACE: 'docsync-prod', TEMPORAL_ADDRESS: 'temporal:7233' });
    for (const [name, role] of [
      ['worker-workflows', 'workflows'],
      ['worker-activities', 'activities'],
    ]) {
      const worker = services[name];
      // `--scale <service>=N`: no fixed container name, no host port; drained on SIGTERM.
      expect(worker.container_name, name).toBeUndefined();
      expect(worker.ports, name).toBeUndefined();
      expect(worker.image, name).toBe(setup.image);
      expect(worker.build, name).toBeDefined();
      expect(worker.stop_grace_period, name).toMatch(/^(60s|1m)$/);
      expect(worker.depends_on?.['docsync-setup'].condition, name).toBe('service_completed_successfully');
      expect(worker.environment, name).toMatchObject({
        DOCSYNC_WORKER_ROLE: role,
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_NAMESPACE: 'docsync-prod',
        DOCSYNC_TASK_QUEUE: 'docsync-prod', // from the environment
        DATABASE_URL: 'postgres://docsync:docsync@postgres:5432/docsync',
      });
    }
    // Credentials, blobs and Tika belong to the activity workers only.
    expect(services['worker-activities'].environment).toMatchObject({ DOCSYNC_SECRET_KEY: KEY, TIKA_URL: 'http://tika:9998' });
    expect(services['worker-activities'].volumes?.join(' ')).toContain('/data/blobs');
    expect(services['worker-workflows'].environment?.DOCSYNC_SECRET_KEY).toBeUndefined();
  });

  it('publishes Temporal, the UI and Postgres on 127.0.0.1 unless told otherwise', async () => {
    const published = (services: Record<string, Service>) =>
      Object.fromEntries(['temporal', 'temporal-ui', 'postgres'].map((name) => [name, services[name].ports]));
    expect(published((await resolvedConfig(env())).services)).toEqual({
      temporal: ['127.0.0.1:7233:7233/tcp'],
      'temporal-ui': ['127.0.0.1:8233:8080/tcp'],
      postgres: ['127.0.0.1:5432:5432/tcp'],
    });
    const open = await resolvedConfig(env({ TEMPORAL_BIND: '0.0.0.0', TEMPORAL_UI_BIND: '0.0.0.0', TEMPORAL_UI_PORT: '8080' }));
    expect(published(open.services)).toEqual({
      temporal: ['0.0.0.0:7233:7233/tcp'],
      'temporal-ui': ['0.0.0.0:8080:8080/tcp'],
      postgres: ['127.0.0.1:5432:5432/tcp'],
    });
  });

  it('refuses to resolve without DOCSYNC_SECRET_KEY, saying how to make one', async () => {
    const environment = { ...process.env };
    delete environment.DOCSYNC_SECRET_KEY;
    const { code, stderr } = await resolvedConfig(environment);
    expect(code).not.toBe(0);
    expect(stderr).toContain('set DOCSYNC_SECRET_KEY (32 random bytes as hex, e.g. openssl rand -hex 32)');
  });

  it('the setup job retries until Temporal answers, then creates the namespace and its search attributes', async () => {
    const { services } = await resolvedConfig(env());
    const setup = services['docsync-setup'];
    // Compose hands the command to `sh -c` with `$$` unescaped; the job runs bin/docsync.mjs from the app dir.
    const script = setup.command!.join(' ').replaceAll('$$', '$');
    const namespace = `q4-compose-${randomUUID().slice(0, 8)}`;
    const port = await freePort(); // nothing listens here yet: the first attempts fail
    const job = spawn(setup.entrypoint![0], [...setup.entrypoint!.slice(1), script], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_NAMESPACE: namespace, DOCSYNC_NAMESPACE_RETENTION_DAYS: '2' },
    });
    stopAfterTest(() => job.kill('SIGKILL'));
    let out = '';
    job.stdout.on('data', (d) => (out += d));
    job.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => job.once('exit', resolve));
    await eventually(async () => out.includes('attempt 1 failed, retrying'));

    // Temporal "comes up" on that port: a plain TCP relay to the test server.
    const [host, temporalPort] = inject('temporalAddress').split(':');
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(temporalPort), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => (socket.destroy(), upstream.destroy());
      socket.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    stopAfterTest(() => new Promise((resolve) => relay.close(resolve)));
    relay.unref();

    expect(await exited, out).toBe(0);
    expect(out).toContain(`created namespace ${namespace} (retention 2 days)`);
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    stopAfterTest(() => connection.close());
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(REQUIRED_SEARCH_ATTRIBUTES)));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

  it('builds in one stage and runs compiled output with production dependencies as a non-root user', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-[a-z]+-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS (\w+)$/gm)).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m);
    expect(build).toContain('RUN npm run build');
    // The install line the deploy test runs without Docker (test/deploy/production-install.ts).
    expect(runtime).toContain(`RUN npm ${NPM_CI_OMIT_DEV.join(' ')}`);
    expect(runtime).toContain('sh scripts/prune-runtime.sh node_modules');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).not.toMatch(/^COPY src|--import tsx/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/workers\/main\.js"\]$/m);
  });
});
