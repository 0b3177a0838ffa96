// Prometheus metrics and health endpoints of a worker: docsync metrics (defined in
// activities/metrics.ts) plus the Temporal SDK's own runtime metrics, re-exported from the core's
// listener; /readyz probes the worker's dependencies on each request, and an activity interceptor
// times every activity.
import http from 'node:http';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { DocsyncMetrics } from '../activities/metrics.js';

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
