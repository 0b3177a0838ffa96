// `npm run chaos`: syncs a fake Dropbox account (10,000 files by default) while killing the worker
// with SIGKILL, restarting Temporal and Postgres and storming it with 429s; prints what survived.
import { parseArgs } from 'node:util';
import { runChaos } from './chaos/run.js';
import { formatReport, FULL_RUN, type ChaosOptions } from './chaos/report.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string' },
    kills: { type: 'string' },
    'page-size': { type: 'string' },
    'max-in-flight': { type: 'string' },
    seed: { type: 'string' },
    burst: { type: 'boolean' },
    'no-storm': { type: 'boolean' },
    'no-temporal-restart': { type: 'boolean' },
    'no-postgres-restart': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: npm run chaos -- [--docs 10000] [--kills 5] [--page-size 100] [--max-in-flight 20] [--seed N]
       [--burst] (disruptions back to back) [--no-storm] [--no-temporal-restart] [--no-postgres-restart] [--json]`);
  process.exit(0);
}
const int = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return n;
};
const options: ChaosOptions = {
  ...FULL_RUN,
  docs: int('docs', values.docs, FULL_RUN.docs),
  kills: int('kills', values.kills, FULL_RUN.kills),
  pageSize: int('page-size', values['page-size'], FULL_RUN.pageSize),
  maxInFlight: int('max-in-flight', values['max-in-flight'], FULL_RUN.maxInFlight),
  seed: int('seed', values.seed, Date.now() % 100_000),
  schedule: values.burst ? 'burst' : 'spread',
  storm: values['no-storm'] ? false : FULL_RUN.storm,
  restartTemporal: !values['no-temporal-restart'],
  restartPostgres: !values['no-postgres-restart'],
  log: (line) => console.error(line),
};
try {
  const report = await runChaos(options);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exit(report.ok ? 0 : 1);
} catch (err) {
  console.error(`chaos run failed: ${(err as Error).stack ?? err}`);
  process.exit(2);
}
