// docsync's own Prometheus counters (documents, bytes, rate-limit waits) and how activities count
// into them. Defined here, next to their only writer, so activities never import workers/.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { RateLimitError } from '../core/errors.js';

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
    bytes: new Counter({
      name: 'docsync_downloaded_bytes_total',
      help: 'Content bytes stored',
      labelNames: ['connector'],
      registers: [registry],
    }),
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

/** The counting activities do; every method is a no-op on a worker without metrics. */
export function activityMetrics(metrics: DocsyncMetrics | undefined) {
  const countDocs = (connector: string, outcome: string, n = 1) => {
    if (n > 0) metrics?.docs.inc({ connector, outcome }, n);
  };
  return {
    countDocs,
    /** One document's outcome, and its bytes when new content was stored. */
    countFetch(connector: string, result: { outcome: string; size?: number }) {
      countDocs(connector, result.outcome);
      if (result.outcome === 'fetched' && result.size) metrics?.bytes.inc({ connector }, result.size);
    },
    /** An observer for withTypedFailures: counts rate-limit answers and the seconds they ask for. */
    observeRateLimit: (connector: string, stage: 'listing' | 'download') => (err: unknown) => {
      if (!(err instanceof RateLimitError) || !metrics) return;
      metrics.rateLimitWaits.inc({ connector, stage });
      metrics.rateLimitSeconds.inc({ connector, stage }, Math.max(0, (err.retryAt.getTime() - Date.now()) / 1000));
    },
  };
}

export type ActivityMetrics = ReturnType<typeof activityMetrics>;
