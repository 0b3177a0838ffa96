// Prometheus metrics and health endpoints of a worker: docsync counters (defined in
// activities/metrics.ts) plus the Temporal SDK's own runtime metrics, re-exported from the core's listener.
import http from 'node:http';
import type { DocsyncMetrics } from '../activities/metrics.js';

export { createMetrics, type DocsyncMetrics } from '../activities/metrics.js';

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
