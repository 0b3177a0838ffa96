// Worker roles (DOCSYNC_WORKER_ROLE or `--role`): `all` polls workflow and activity tasks in one
// process; `workflows` and `activities` split them so each side is sized and scaled on its own.
// Workflow workers are CPU- and cache-bound (replay, sticky cache), activity workers I/O- and
// memory-bound (downloads, extraction): one process doing both is sized for the worst of each.
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

const WORKER_ROLES = ['all', 'workflows', 'activities'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The env schema's field: unset or empty → `all` (what a single worker process always did). */
export const workerRoleSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
  z
    .enum(WORKER_ROLES, { error: (issue) => `must be one of ${WORKER_ROLES.join(', ')} (got '${String(issue.input)}'; or pass --role)` })
    .default('all'),
);

/** `--role x` / `--role=x` on the worker's command line; undefined when absent. */
function roleFlag(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--role');
  if (at >= 0) {
    const value = argv[at + 1];
    if (value === undefined || value.startsWith('-')) {
      throw new ConfigError(`--role needs a value: ${WORKER_ROLES.join(', ')}`, ['DOCSYNC_WORKER_ROLE']);
    }
    return value;
  }
  return argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
}

/** The environment with a `--role` flag applied over DOCSYNC_WORKER_ROLE (the flag wins). */
export function withRoleFlag(environment: NodeJS.ProcessEnv, argv: readonly string[]): NodeJS.ProcessEnv {
  const flag = roleFlag(argv);
  return flag === undefined ? environment : { ...environment, DOCSYNC_WORKER_ROLE: flag };
}

export const runsWorkflows = (role: WorkerRole = 'all'): boolean => role !== 'activities';
export const runsActivities = (role: WorkerRole = 'all'): boolean => role !== 'workflows';
