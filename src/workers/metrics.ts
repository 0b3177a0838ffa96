// Prometheus metrics and health endpoints of a worker: docsync counters (prom-client) plus the
// Temporal SDK's own runtime metrics, re-exported from the core's Prometheus listener.
import http from 'node:http';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface DocsyncMetrics {
  registry: Registry;
  docs: Counter<'connector' | 'outcome'>;
  bytes: Counter<'connector'>;
  rateLimitWaits: Counter<'connector' | 'stage'>;
  rateLimitSeconds: Counter<'connector' | 'stage'>;
}

export function createMetrics(): DocsyncMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'docsync_process_' });
  return {
    registry,
    docs: new Counter({
      name: 'docsync_documents_total',
      help: 'Documents by outcome: listed, deleted, fetched, unchanged, skipped, failed',
      labelNames: ['connector', 'outcome'],
      registers: [registry],
    }),
    bytes: new Counter({ name: 'docsync_downloaded_bytes_total', help: 'Content bytes stored', labelNames: ['connector'], registers: [registry] }),
    rateLimitWaits: new Counter({
      name: 'docsync_rate_limit_waits_total',
      help: 'RateLimitError answers from sources, by stage (listing|download)',
      labelNames: ['connector', 'stage'],
      registers: [registry],
    }),
    rateLimitSeconds: new Counter({
      name: 'docsync_rate_limit_wait_seconds_total',
      help: 'Seconds sources asked us to wait',
      labelNames: ['connector', 'stage'],
      registers: [registry],
    }),
  };
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  metrics: DocsyncMetrics;
  /** Ready = the worker is polling its task queue. */
  isReady(): boolean;
  /** The SDK core's Prometheus endpoint, appended to /metrics when set. */
  coreMetricsUrl?: string;
}

export async function startHealthServer(options: HealthServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const url = req.url?.split('?')[0];
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') return options.isReady() ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
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

function send(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
