// Prometheus metrics and health endpoints of a worker: docsync metrics (defined in
// activities/metrics.ts) plus the Temporal SDK's own runtime metrics, re-exported from the core's
// listener; /readyz probes the worker's dependencies on each request, an activity interceptor
// times every activity, and deployment-wide gauges (syncs per phase, last successful sync) are
// read from Temporal visibility and Postgres when scraped.
import http from 'node:http';
import type { Client } from '@temporalio/client';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { Gauge } from 'prom-client';
import type { DocsyncMetrics } from '../activities/metrics.js';
import type { Queryable } from '../store/db.js';
import { lastCompletedRuns } from '../store/sync-runs.js';
import { searchAttributes } from '../workflows/definitions.js';
import type { Phase } from '../workflows/types.js';

export { createMetrics, type DocsyncMetrics } from '../activities/metrics.js';

/** A dependency check: resolves when healthy, rejects (or outlives the deadline) when not. */
type ReadinessCheck = () => Promise<unknown>;

/** Short enough that a load balancer's probe gets its answer before its own timeout. */
const CHECK_DEADLINE_MS = 2_000;

export interface HealthServerOptions {
  port: number;
  /** 0.0.0.0 for a deployed worker (scraped from outside), 127.0.0.1 for `docsync dev`. */
  host?: string;
  metrics: DocsyncMetrics;
  /** Ready = every check passes now: e.g. worker polling, Postgres and Temporal answering. */
  checks: Record<string, ReadinessCheck>;
  /** The SDK core's Prometheus endpoint, appended to /metrics when set. */
  coreMetricsUrl?: string;
}

/** Runs every check side by side, each with a deadline: name → "ok" or why it failed. */
async function probe(checks: Record<string, ReadinessCheck>): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_DEADLINE_MS} ms`)), CHECK_DEADLINE_MS);
      });
      try {
        await Promise.race([check(), deadline]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, (err instanceof Error ? err.message : String(err)).split('\n')[0] || 'failed'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, state]) => state === 'ok'), checks: Object.fromEntries(results) };
}

export async function startHealthServer(options: HealthServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const url = req.url?.split('?')[0];
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') {
      const result = await probe(options.checks);
      return send(res, result.ready ? 200 : 503, `${JSON.stringify(result)}\n`, 'application/json');
    }
    if (url === '/metrics') {
      let body = await options.metrics.registry.metrics();
      if (options.coreMetricsUrl) {
        body += await fetch(options.coreMetricsUrl, { signal: AbortSignal.timeout(2_000) })
          .then((r) => r.text())
          .catch(() => '# temporal core metrics unavailable\n');
      }
      return send(res, 200, body, options.metrics.registry.contentType);
    }
    send(res, 404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', resolve);
  });
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Times every activity execution into docsync_activity_duration_seconds (a worker interceptor). */
export function activityDurationInterceptor(metrics: DocsyncMetrics): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const stop = metrics.activitySeconds.startTimer({ activity: ctx.info.activityType });
        try {
          const result = await next(input);
          stop({ outcome: 'completed' });
          return result;
        } catch (err) {
          stop({ outcome: 'failed' });
          throw err;
        }
      },
    };
    return { inbound };
  };
}

function send(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}

const PHASES: readonly Phase[] = ['listing', 'fetching', 'idle', 'rate-limited', 'paused', 'failed', 'auth-failed', 'cancelled'];
/** Scrapes closer together than this reuse the last answer: a count per phase is one visibility call each. */
const FLEET_REFRESH_MS = 10_000;

export interface FleetGaugeSources {
  client: Client;
  /** This deployment's syncs only (one namespace may hold several deployments). */
  taskQueue: string;
  db: Queryable;
}

/**
 * Deployment-wide gauges, the same on every worker (so any one scrape tells the truth, and sums
 * across workers must not be taken): `docsync_syncs{phase}` counts running syncUser workflows by
 * their DocsyncPhase search attribute (a run that has not upserted it yet counts as `starting`),
 * and `docsync_last_successful_sync_timestamp_seconds{connector}` is when a sync run of the
 * connector last completed, from the sync_runs table. Read on scrape, at most every
 * FLEET_REFRESH_MS; a failed read keeps the last values (and /readyz reports the dependency).
 * Visibility, not the workflows' status queries: a count is one call whatever the number of users,
 * and needs no worker to answer for each sync.
 */
export function registerFleetGauges(metrics: DocsyncMetrics, sources: FleetGaugeSources): void {
  let fresh: Promise<void> | undefined;
  let readAt = 0;
  let phases = new Map<string, number>();
  let lastSuccess: { connector: string; finishedAt: Date }[] = [];
  const refresh = () => {
    if (fresh && Date.now() - readAt < FLEET_REFRESH_MS) return fresh;
    readAt = Date.now();
    fresh = Promise.all([countByPhase(sources), lastCompletedRuns(sources.db)])
      .then(([byPhase, runs]) => void ((phases = byPhase), (lastSuccess = runs)))
      .catch(() => void (readAt = 0)); // retried at the next scrape
    return fresh;
  };
  new Gauge({
    name: 'docsync_syncs',
    help: 'Running syncs of this deployment by phase (Temporal visibility, DocsyncPhase); the same on every worker',
    labelNames: ['phase'],
    registers: [metrics.registry],
    async collect() {
      await refresh();
      for (const [phase, count] of phases) this.set({ phase }, count);
    },
  });
  new Gauge({
    name: 'docsync_last_successful_sync_timestamp_seconds',
    help: 'Unix time a sync run of the connector last completed (its listing reached the end), any worker',
    labelNames: ['connector'],
    registers: [metrics.registry],
    async collect() {
      await refresh();
      for (const run of lastSuccess) this.set({ connector: run.connector }, run.finishedAt.getTime() / 1000);
    },
  });
}

async function countByPhase({ client, taskQueue }: FleetGaugeSources): Promise<Map<string, number>> {
  // Count's GROUP BY takes only ExecutionStatus: one count per phase, side by side.
  const running = `WorkflowType = "syncUser" AND TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  const [total, ...perPhase] = await Promise.all([
    client.workflow.count(running),
    ...PHASES.map((phase) => client.workflow.count(`${running} AND ${searchAttributes.phase.name} = "${phase}"`)),
  ]);
  const counts = new Map(PHASES.map((phase, i) => [phase as string, perPhase[i].count]));
  counts.set('starting', Math.max(0, total.count - perPhase.reduce((sum, c) => sum + c.count, 0)));
  return counts;
}
