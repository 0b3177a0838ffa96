// Fairness figure: N users, one of them in a 429 storm (every call answered 429 + Retry-After 1 s):
// the others' p95 completion against a run of the same N users without the storm.
import { formatShares } from '../proc-stats.js';
import { quantile, runUsers, sorted, startUsersDeployment } from '../multi-user.js';
import type { BenchServices } from '../services.js';
import type { FigureRow } from '../table.js';
import type { WorkerTuning } from '../worker-process.js';

export interface FairnessOptions {
  users: number;
  docsPerUser: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
  /** Calm/storm pairs, alternating. */
  rounds: number;
}

export async function fairnessFigure(services: BenchServices, opts: FairnessOptions): Promise<FigureRow[]> {
  const deployment = await startUsersDeployment(services, 'fairness', 1, opts.worker);
  const calm: number[] = [];
  const storm: number[] = [];
  let stormCpu = '';
  try {
    // Unmeasured warm-up first: otherwise the first calm run alone pays the fresh worker's JIT and pool connects.
    await runUsers(services, deployment, { ...opts, name: 'warmup', users: Math.min(opts.users, 5) });
    // Calm and storm alternate: on a shared machine the load drifts, and alternating spreads the drift over both.
    for (let round = 0; round < opts.rounds; round++) {
      const c = await runUsers(services, deployment, { ...opts, name: `calm${round}` });
      // Same users compared: user 0 is the stormed one, so the calm run leaves it out too.
      calm.push(quantile(sorted(c.byUser.slice(1)), 0.95));
      const s = await runUsers(services, deployment, { ...opts, name: `storm${round}`, storm: true });
      storm.push(quantile(s.completions, 0.95));
      stormCpu = formatShares(s.cpu);
    }
  } finally {
    await deployment.close();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  return [
    {
      figure: 'fairness',
      metric: `p95 of ${opts.users - 1} users: storm / calm`,
      value: mean(storm) / mean(calm),
      unit: '×',
      target: { op: '<=', value: 1.1 },
      detail: `mean of ${opts.rounds} alternating rounds; p95 with one user in a 429 storm ${list(storm)} s vs ${list(calm)} s without; last storm run ${stormCpu}`,
    },
  ];
}
