// docker-compose.yml as Compose resolves it (`docker-compose config`, Debian's docker-compose installed by
// scripts/install.sh; no Docker engine needed): services, a scale-friendly worker, search attributes.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from '../support/cli.js';

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: unknown[];
  expose?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  stop_grace_period?: string;
  volumes?: unknown[];
}

const KEY = 'ab'.repeat(32);

async function resolvedConfig(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; services: Record<string, Service> }> {
  const { code, stdout, stderr } = await run('docker-compose', ['config'], { cwd: ROOT, env });
  if (code !== 0) return { code, stderr, services: {} };
  // docker-compose prints YAML; python3-yaml is its own dependency, so it is there whenever it is.
  const json = execFileSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: stdout,
  });
  return { code, stderr, services: JSON.parse(json.toString()).services };
}

describe('docker-compose.yml', () => {
  it('resolves to the full stack with a worker that scales and registered search attributes', async () => {
    const { code, stderr, services } = await resolvedConfig({
      ...process.env,
      DOCSYNC_SECRET_KEY: KEY,
      DOCSYNC_TASK_QUEUE: 'docsync-prod',
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Object.keys(services).sort()).toEqual(['postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'tika', 'worker']);

    // Temporal persists to the Postgres service.
    expect(services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(services.temporal.depends_on?.postgres.condition).toBe('service_healthy');

    // `--scale worker=3`: no fixed container name, no host port; healthchecked, drained on SIGTERM.
    const worker = services.worker;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.build).toBeDefined();
    expect(worker.healthcheck?.test.join(' ')).toContain('/readyz');
    expect(worker.stop_grace_period).toMatch(/^(60s|1m)$/);
    expect(worker.environment).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal:7233',
      DOCSYNC_TASK_QUEUE: 'docsync-prod', // from the environment
      DOCSYNC_SECRET_KEY: KEY,
      TIKA_URL: 'http://tika:9998',
      DATABASE_URL: 'postgres://docsync:docsync@postgres:5432/docsync',
    });
    expect(worker.depends_on).toMatchObject({
      'temporal-setup': { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      tika: { condition: 'service_healthy' },
    });
    for (const name of ['postgres', 'temporal', 'tika', 'worker']) expect(services[name].healthcheck, name).toBeDefined();

    // The one-shot setup registers every search attribute the workflows upsert.
    const setup = services['temporal-setup'].command!.join(' ');
    for (const attribute of ['DocsyncConnector', 'DocsyncUser', 'DocsyncPhase', 'DocsyncNextSyncAt'])
      expect(setup).toContain(`--name ${attribute}`);
    expect(services['temporal-ui'].ports).toHaveLength(1);
  });

  it('refuses to resolve without DOCSYNC_SECRET_KEY, saying how to make one', async () => {
    const env = { ...process.env };
    delete env.DOCSYNC_SECRET_KEY;
    const { code, stderr } = await resolvedConfig(env);
    expect(code).not.toBe(0);
    expect(stderr).toContain('set DOCSYNC_SECRET_KEY (32 random bytes as hex, e.g. openssl rand -hex 32)');
  });
});
