// Freshness figure (issue #17 item 6): seconds from an edit at the fake to (a) its new text committed
// in Postgres and (b) a followChanges consumer holding the change row, for Dropbox longpoll, Dropbox
// webhooks, Drive changes.watch and Gmail push, with API calls per edit, against the computed
// polling baseline of the default 1 h interval. See BENCHMARKS.md "freshness" for the method.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { followChanges } from '../../src/store/follow-changes.js';
import { startReceiver } from '../../src/webhooks/receiver.js';
import { startFakeGoogle } from '../../test/fakes/google/index.js';
import {
  driveWatchPath,
  dropboxLongpollPath,
  dropboxWebhookPath,
  editText,
  gmailPushPath,
  until,
  type FreshnessWorld,
  type PushPath,
} from '../freshness-paths.js';
import { createBenchEngine, type BenchServices } from '../services.js';
import type { FigureRow } from '../table.js';
import { startWorkerProcess, type WorkerTuning } from '../worker-process.js';

export interface FreshnessOptions {
  /** Edits per path, spread evenly over `windowMs`. */
  edits: number;
  windowMs: number;
  worker: WorkerTuning;
  quick: boolean;
}

const TARGET_P50_S = 2;
const TARGET_P95_S = 5;
const INTERVAL_S = 3600;
const PUSH_SECRET = `bench-freshness-push-secret-${randomUUID()}`;
const GMAIL_AUDIENCE = 'https://bench-freshness.example.com/gmail';

interface PathResult {
  committed: number[];
  followed: number[];
  missing: number;
  callsPerEdit: number;
  breakdown: string;
}

/** Nearest-rank percentile, seconds. */
function percentile(ms: number[], p: number): number {
  if (ms.length === 0) return Number.NaN;
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] / 1000;
}

async function measure(world: FreshnessWorld, path: PushPath, opts: FreshnessOptions): Promise<PathResult> {
  const { pool } = world;
  const start = await pool.query<{ seq: string }>('SELECT COALESCE(max(seq), 0)::text AS seq FROM changes');
  const since = start.rows[0].seq;
  // (b): the consumer is woken by LISTEN/NOTIFY; it notes when each document's content row reached it.
  const followed = new Map<string, number>();
  const abort = new AbortController();
  const following = followChanges(pool, { since, connector: path.connector, userId: path.userId, signal: abort.signal }, async (rows) => {
    const now = Date.now();
    for (const r of rows) if (r.kind === 'content' && !followed.has(r.externalId)) followed.set(r.externalId, now);
  });
  try {
    path.resetCalls();
    const edits: { externalId: string; at: number }[] = [];
    const t0 = Date.now();
    for (let i = 0; i < opts.edits; i++) {
      // The schedule of the edits, not a wait for a result: edit i at t0 + i * spacing.
      const due = t0 + (i * opts.windowMs) / opts.edits;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const at = Date.now();
      edits.push({ externalId: path.edit(i), at });
    }
    await until('every edit followed', () => edits.every((e) => followed.has(e.externalId)), 60_000).catch(() => undefined);
    await path.settle();
    // (a): the `at` of the edit's content change, which the same statement that wrote the text stamps
    // with now() (its transaction's start, so at most that statement's run before its commit).
    const { rows } = await pool.query<{ external_id: string; at: Date; text: string | null }>(
      `SELECT c.external_id, min(c.at) AS at, min(d.text) AS text FROM changes c
         JOIN documents d ON d.connector = c.connector AND d.user_id = c.user_id AND d.external_id = c.external_id
        WHERE c.connector = $1 AND c.user_id = $2 AND c.kind = 'content' AND c.seq > $3 GROUP BY c.external_id`,
      [path.connector, path.userId, since],
    );
    const committedAt = new Map(rows.map((r) => [r.external_id, r]));
    const committed: number[] = [];
    const follows: number[] = [];
    let missing = 0;
    edits.forEach((e, i) => {
      const row = committedAt.get(e.externalId);
      // A row without the edit's text is not this edit arriving (a benchmark that lost work measures nothing).
      if (!row || !row.text?.includes(editText(path.name, i)) || !followed.has(e.externalId)) return void missing++;
      committed.push(row.at.getTime() - e.at);
      follows.push(followed.get(e.externalId)! - e.at);
    });
    return { committed, followed: follows, missing, callsPerEdit: path.calls() / opts.edits, breakdown: path.breakdown() };
  } finally {
    abort.abort();
    await following;
  }
}

function rowsOf(path: string, r: PathResult, opts: FreshnessOptions): FigureRow[] {
  const figure = 'freshness';
  const detail = `${opts.edits} edits over ${opts.windowMs / 1000} s${opts.quick ? ' (quick)' : ''}, interval 1 h`;
  const latency = (what: string, ms: number[], p: 50 | 95): FigureRow => ({
    figure,
    metric: `${path}: ${what} p${p}`,
    value: percentile(ms, p),
    unit: 's',
    target: { op: '<=', value: p === 50 ? TARGET_P50_S : TARGET_P95_S },
    detail,
  });
  return [
    latency('edit → text committed', r.committed, 50),
    latency('edit → text committed', r.committed, 95),
    latency('edit → consumer has row', r.followed, 50),
    latency('edit → consumer has row', r.followed, 95),
    {
      figure,
      metric: `${path}: API calls per edit`,
      value: r.callsPerEdit,
      unit: 'calls',
      target: { op: '<=', value: 3 },
      detail: `requests at the fake in the window / edits: ${r.breakdown}`,
    },
    { figure, metric: `${path}: edits not arrived`, value: r.missing, unit: '', target: { op: '<=', value: 0 } },
  ];
}

function baselineRows(): FigureRow[] {
  // An edit at a uniform moment of the interval waits for the rest of it: p-th percentile = p% of 1 h.
  const detail = 'computed, not measured: polling every 1 h (default), edits uniform over the interval';
  return [
    { figure: 'freshness', metric: 'polling baseline: p50', value: (0.5 * INTERVAL_S) / 60, unit: 'min', detail },
    { figure: 'freshness', metric: 'polling baseline: p95', value: (0.95 * INTERVAL_S) / 60, unit: 'min', detail },
  ];
}

export async function freshnessFigure(services: BenchServices, opts: FreshnessOptions): Promise<FigureRow[]> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => console.error(`freshness: stop failed: ${err.message}`));
  };
  try {
    const { databaseUrl, blobDir, taskQueue, engine } = await createBenchEngine(services, 'freshness');
    stops.push(() => engine.close());
    const google = await startFakeGoogle();
    stops.push(() => google.close());
    const dropboxAppSecret = `bench-freshness-app-secret-${randomUUID()}`;
    const receiver = await startReceiver({
      host: '127.0.0.1',
      port: 0,
      pool: engine.pool,
      client: services.client,
      logger: pino({ level: 'silent' }),
      env: {
        DOCSYNC_DROPBOX_APP_SECRET: dropboxAppSecret,
        DOCSYNC_PUSH_SECRET: PUSH_SECRET,
        DOCSYNC_GMAIL_PUSH_AUDIENCE: GMAIL_AUDIENCE,
        DOCSYNC_GMAIL_PUSH_CERTS_URL: `${google.url}/oauth2/v1/certs`,
      },
    });
    stops.push(() => receiver.close());
    google.gmailPush.subscription = { endpoint: `${receiver.url}/gmail`, audience: GMAIL_AUDIENCE };
    const worker = await startWorkerProcess(
      services,
      { databaseUrl, blobDir, taskQueue },
      {
        ...opts.worker,
        env: {
          DOCSYNC_PUSH_URL: receiver.url,
          DOCSYNC_PUSH_SECRET: PUSH_SECRET,
          DOCSYNC_GMAIL_PUSH_TOPIC: 'projects/docsync-bench/topics/gmail',
        },
      },
    );
    stops.push(() => worker.stop());
    const world: FreshnessWorld = {
      client: services.client,
      pool: engine.pool,
      credentials: engine.credentials,
      taskQueue,
      receiverUrl: receiver.url,
      dropboxAppSecret,
      google,
    };
    const run = Date.now().toString(36);
    const paths: [string, () => Promise<PushPath>][] = [
      ['dropbox longpoll', () => dropboxLongpollPath(world, `q9-bench-longpoll-${run}`, opts.edits)],
      ['dropbox webhook', () => dropboxWebhookPath(world, `q9-bench-webhook-${run}`, opts.edits)],
      ['drive watch', () => driveWatchPath(world, `q9-bench-drive-${run}`, opts.edits)],
      ['gmail push', () => gmailPushPath(world, `q9-bench-gmail-${run}`)],
    ];
    const rows: FigureRow[] = [];
    // One path at a time, so each window's requests and CPU are that path's alone.
    for (const [name, prepare] of paths) {
      const path = await prepare();
      try {
        const result = await measure(world, path, opts);
        rows.push(...rowsOf(name, result, opts));
      } finally {
        await path.stop();
      }
    }
    return [...rows, ...baselineRows()];
  } finally {
    await stopAll();
  }
}
