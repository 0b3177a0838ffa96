// docsync's own Prometheus metrics (documents, bytes, rate-limit waits, latencies, last caught-up
// listing) and how activities count into them. Defined here, next to their only writer, so
// activities never import workers/. docsync's names are under `docsync_`; prom-client's process and
// Node.js defaults keep their standard `process_*` / `nodejs_*` names so stock dashboards work.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RateLimitError } from '../core/errors.js';

export interface DocsyncMetrics {
  registry: Registry;
  docs: Counter<'connector' | 'outcome'>;
  bytes: Counter<'connector'>;
  rateLimitWaits: Counter<'connector' | 'stage'>;
  rateLimitSeconds: Counter<'connector' | 'stage'>;
  activitySeconds: Histogram<'activity' | 'outcome'>;
  documentSeconds: Histogram<'connector' | 'outcome'>;
  lastCaughtUp: Gauge<'connector'>;
}

/** From a cached page (ms) to a large download or a slow listing (minutes). */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(): DocsyncMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
    activitySeconds: new Histogram({
      name: 'docsync_activity_duration_seconds',
      help: 'Activity executions by type and outcome (completed|failed), seconds',
      labelNames: ['activity', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    documentSeconds: new Histogram({
      name: 'docsync_document_duration_seconds',
      help: 'One document from download start to stored text, by outcome, seconds',
      labelNames: ['connector', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    lastCaughtUp: new Gauge({
      name: 'docsync_last_caught_up_timestamp_seconds',
      help: 'Unix time a listing last reached the end of the source (hasMore=false), by connector',
      labelNames: ['connector'],
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
    /** One document's outcome, its bytes when new content was stored, and its latency from `startedMs` (performance.now()). */
    countFetch(connector: string, result: { outcome: string; size?: number }, startedMs?: number) {
      countDocs(connector, result.outcome);
      if (startedMs !== undefined)
        metrics?.documentSeconds.observe({ connector, outcome: result.outcome }, (performance.now() - startedMs) / 1000);
      if (result.outcome === 'fetched' && result.size) metrics?.bytes.inc({ connector }, result.size);
    },
    /** A listing page reached the end of the source: the sync of this connector is caught up now. */
    markCaughtUp(connector: string) {
      metrics?.lastCaughtUp.set({ connector }, Date.now() / 1000);
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
