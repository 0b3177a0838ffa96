// `docsync status [<connector> <user>] [--watch] [--json]`: the workflow's `status` query as a table.
import { WorkflowNotFoundError } from '@temporalio/client';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { statusQuery, syncWorkflowId } from '../../workflows/definitions.js';
import type { SyncStatus } from '../../workflows/types.js';
import { CliError, EXIT, temporalClient } from '../context.js';

async function collect(connector?: string, userId?: string): Promise<SyncStatus[]> {
  const client = await temporalClient();
  if (connector && userId) {
    const workflowId = syncWorkflowId(connector, userId);
    try {
      return [await client.workflow.getHandle(workflowId).query(statusQuery)];
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new CliError(`no sync for connector "${connector}" and user "${userId}" (workflow ${workflowId})`, EXIT.notFound);
      }
      throw err;
    }
  }
  const statuses: SyncStatus[] = [];
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "syncUser" AND ExecutionStatus = "Running"' })) {
    const s = await client.workflow.getHandle(wf.workflowId).query(statusQuery).catch(() => undefined);
    if (s && (!connector || s.connector === connector)) statuses.push(s);
  }
  return statuses.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
}

export function renderStatuses(statuses: SyncStatus[], withBars = false): string {
  if (statuses.length === 0) return 'no running syncs';
  const head = ['sync', 'phase', 'listed', 'fetched', 'failed', 'deleted', 'in flight', 'wait reason', 'next sync', 'ETA'];
  if (withBars) head.push('progress');
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const s of statuses) {
    const c = s.counters;
    const processed = c.fetched + c.unchanged + c.skipped + c.failed;
    const row = [
      `${s.connector}/${s.userId}`, s.phase, c.listed, c.fetched, c.failed, c.deleted, s.inFlight,
      s.waitReason ?? '', s.nextSyncAt ?? '', s.etaSeconds !== undefined ? `${s.etaSeconds}s` : '',
    ].map(String);
    if (withBars) row.push(progressBar(processed, c.listed));
    table.push(row);
  }
  return table.toString();
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status [connector] [user]')
    .description('phase, counts, in-flight documents, wait reason, next sync and ETA of running syncs')
    .option('--watch', 'refresh every second with progress bars (Ctrl-C to stop)')
    .option('--json', 'print the raw status objects')
    .action(async (connector: string | undefined, user: string | undefined, flags: { watch?: boolean; json?: boolean }) => {
      if (connector && !user) throw new CliError('give both <connector> and <user>, or neither', EXIT.usage);
      if (!flags.watch) {
        const statuses = await collect(connector, user);
        console.log(flags.json ? JSON.stringify(statuses, null, 2) : renderStatuses(statuses));
        return;
      }
      let stop = false;
      process.once('SIGINT', () => (stop = true));
      while (!stop) {
        const statuses = await collect(connector, user);
        process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}\n${renderStatuses(statuses, true)}\n`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
}
