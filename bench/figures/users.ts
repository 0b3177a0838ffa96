// Users figure: K users × 20 documents all started at once, on 1 and 2 production worker
// processes: aggregate docs/s (against this run's content rate), per-user completion spread, worker
// RSS and Postgres lock waits (is any one lock waited on by every user's transactions?).
import { formatShares } from '../proc-stats.js';
import { quantile, runUsers, startUsersDeployment, type UsersRunResult } from '../multi-user.js';
import type { BenchServices } from '../services.js';
import type { FigureRow } from '../table.js';
import type { WorkerTuning } from '../worker-process.js';
import { contentRate } from './content.js';

export interface UsersOptions {
  users: number[];
  workers: number[];
  docsPerUser: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
}

export async function usersFigure(services: BenchServices, opts: UsersOptions): Promise<FigureRow[]> {
  const rows: FigureRow[] = [];
  const byWorkers = new Map<number, UsersRunResult>();
  const ascending = [...opts.users].sort((a, b) => a - b);
  const largest = ascending.at(-1)!;
  const perK = new Map<number, FigureRow[]>();
  // One deployment per worker count, reused for every K (a worker start costs seconds on a busy machine).
  for (const workers of opts.workers) {
    const deployment = await startUsersDeployment(services, `users_w${workers}`, workers, opts.worker);
    try {
      for (const k of ascending) {
        const run = await runUsers(services, deployment, { ...opts, name: `k${k}w${workers}`, users: k });
        if (k === largest) byWorkers.set(workers, run);
        perK.set(k, [...(perK.get(k) ?? []), ...usersRows(k, workers, opts.docsPerUser, run)]);
      }
    } finally {
      await deployment.close();
    }
  }
  for (const k of ascending) rows.push(...(perK.get(k) ?? []));
  const one = byWorkers.get(1);
  const two = byWorkers.get(2);
  if (one && two) {
    rows.push({
      figure: 'users',
      metric: `K=${largest}: 2 workers / 1 worker`,
      value: two.rate / one.rate,
      unit: '×',
      target: { op: '>=', value: 1.3 },
      detail: `${two.rate.toFixed(0)} vs ${one.rate.toFixed(0)} docs/s`,
    });
  }
  return rows;
}

function usersRows(k: number, workers: number, docsPerUser: number, run: UsersRunResult): FigureRow[] {
  const label = `K=${k}, ${workers} worker${workers > 1 ? 's' : ''}`;
  const p50 = quantile(run.completions, 0.5);
  const p95 = quantile(run.completions, 0.95);
  const content = contentRate();
  const lock = run.locks.topLock;
  return [
    {
      figure: 'users',
      metric: `${label}: aggregate docs/s`,
      value: run.rate,
      unit: 'docs/s',
      detail: `${k * docsPerUser} docs in ${run.seconds.toFixed(1)} s; ${formatShares(run.cpu)}`,
    },
    content === undefined
      ? { figure: 'users', metric: `${label}: ratio to content`, value: Number.NaN, unit: '×', detail: 'content not measured in this run' }
      : {
          figure: 'users',
          metric: `${label}: ratio to content`,
          value: run.rate / content,
          unit: '×',
          // The target holds from K = 10 on: one user of 20 documents cannot fill the machine.
          target: k >= 10 ? { op: '>=', value: 0.8 } : undefined,
          detail: `content ${content.toFixed(0)} docs/s`,
        },
    {
      figure: 'users',
      metric: `${label}: per-user p95 / p50`,
      value: p95 / p50,
      unit: '×',
      target: k > 1 ? { op: '<=', value: 2 } : undefined,
      detail: `completion p50 ${p50.toFixed(1)} s, p95 ${p95.toFixed(1)} s (from the first start)`,
    },
    {
      figure: 'users',
      metric: `${label}: peak worker RSS`,
      value: run.peakRssMiB,
      unit: 'MiB',
      target: { op: '<=', value: 400 },
      detail: 'VmHWM, largest worker',
    },
    {
      figure: 'users',
      metric: `${label}: waiters on the most-waited lock`,
      value: lock?.waiters ?? 0,
      unit: 'txns',
      // A lock that fewer than K distinct transactions waited on cannot have been shared by all K users.
      target: k > 1 ? { op: '<=', value: k - 1 } : undefined,
      detail: `max ${run.locks.maxConcurrent} sessions waiting at once (${run.locks.samples} samples of pg_stat_activity)${lock ? `; ${lock.lock}: ${lock.query}` : ''}`,
    },
  ];
}
