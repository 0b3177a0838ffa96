// `docsync worker` and `docsync dev`: a worker against existing services, or the whole embedded
// stack (Temporal dev server + UI, Postgres, worker) in one process tree (commands/dev.ts).
import type { Command } from 'commander';
import { registerDevCommand } from './dev.js';

// Loaded on use: the worker SDK (native core, bundler) takes ~2 s to import, which every other
// command would otherwise pay.
const workerModule = () => import('../../workers/main.js');

export function registerServiceCommands(program: Command): void {
  program
    .command('worker')
    .description('run a worker against existing Temporal and Postgres (TEMPORAL_ADDRESS, DATABASE_URL, ...)')
    .option('--role <role>', 'all | workflows | activities (default: DOCSYNC_WORKER_ROLE, else all)')
    .action(async (flags: { role?: string }) => (await workerModule()).runWorker(process.env, flags.role ? ['--role', flags.role] : []));
  registerDevCommand(program);
}
