// Fairness figure: N users, one of them in a 429 storm (every call answered 429 + Retry-After 1 s):
// the others' p95 completion against a run of the same N users without the storm.
import { formatShares } from '../proc-stats.js';
import { quantile, runUsers, sorted, startUsersDeployment, type UsersRunResult } from '../multi-user.js';
import type { BenchServices } from '../services.js';
import type { FigureRow } from '../table.js';
import type { WorkerTuning } from '../worker-process.js';

export interface FairnessOptions {
  users: number;
  docsPerUser: number;
  pageSize: number;
  maxInFlight: number;
  worker: WorkerTuning;
}

export async function fairnessFigure(services: BenchServices, opts: FairnessOptions): Promise<FigureRow[]> {
  const deployment = await startUsersDeployment(services, 'fairness', 1, opts.worker);
  let calm: UsersRunResult;
  let storm: UsersRunResult;
  try {
    // Unmeasured warm-up first: otherwise the calm run alone pays the fresh worker's JIT and pool connects.
    await runUsers(services, deployment, { ...opts, name: 'warmup', users: Math.min(opts.users, 5) });
    calm = await runUsers(services, deployment, { ...opts, name: 'calm' });
    storm = await runUsers(services, deployment, { ...opts, name: 'storm', storm: true });
  } finally {
    await deployment.close();
  }
  // Same users compared: user 0 is the stormed one, so the calm run leaves it out too.
  const calmOthers = sorted(calm.byUser.slice(1));
  const calmP95 = quantile(calmOthers, 0.95);
  const stormP95 = quantile(storm.completions, 0.95);
  return [
    {
      figure: 'fairness',
      metric: `p95 of ${opts.users - 1} users: storm / calm`,
      value: stormP95 / calmP95,
      unit: '×',
      target: { op: '<=', value: 1.1 },
      detail: `p95 ${stormP95.toFixed(1)} s with one user in a 429 storm vs ${calmP95.toFixed(1)} s without; storm run ${formatShares(storm.cpu)}`,
    },
  ];
}
