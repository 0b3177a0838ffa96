// `docsync status [<connector> <user>] [--open|--closed|--all] [--watch [--until-idle]] [--json]`: the
// workflow's `status` query as a table (closed syncs too, with how they ended), or redrawn with
// progress bars until Ctrl-C or until the sync is caught up.
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { searchAttributes, statusQuery, syncWorkflowId } from '../../workflows/definitions.js';
import type { Phase, SyncStatus } from '../../workflows/types.js';
import { CliError, EXIT, settings, temporalClient } from '../context.js';
import { fitLine, terminalWidth } from '../output.js';

/** A status query no worker answers within this time leaves its sync out of the list. */
const QUERY_DEADLINE_MS = 5_000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work.catch(() => undefined), expired]).finally(() => clearTimeout(timer));
}

/** A listed sync: its status, and for a closed one how it ended (COMPLETED, FAILED, CANCELLED, TERMINATED...). */
export type ListedSync = SyncStatus & { executionStatus?: string; closedAt?: string };

/** Which syncs a listing shows; `recent` = open ones and those closed in the last RECENT_MS. */
type Filter = 'open' | 'closed' | 'all' | 'recent';
const RECENT_MS = 24 * 3600_000;

function listQuery(filter: Filter): string {
  // A continued-as-new run is one link of a chain that goes on: never a closed sync.
  const closed = 'ExecutionStatus != "Running" AND ExecutionStatus != "ContinuedAsNew"';
  const which = {
    open: 'ExecutionStatus = "Running"',
    closed,
    all: `(ExecutionStatus = "Running" OR (${closed}))`,
    recent: `(ExecutionStatus = "Running" OR (${closed} AND CloseTime > "${new Date(Date.now() - RECENT_MS).toISOString()}"))`,
  }[filter];
  return `WorkflowType = "syncUser" AND TaskQueue = "${settings().taskQueue}" AND ${which}`;
}

async function collect(connector?: string, userId?: string, filter: Filter = 'open'): Promise<ListedSync[]> {
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
  // This deployment's syncs only (its task queue); queried side by side, each with a deadline, so a
  // sync whose workers are gone cannot stall the whole listing. One row per sync: its latest run.
  const latest = new Map<string, WorkflowExecutionInfo>();
  for await (const wf of client.workflow.list({ query: listQuery(filter) })) {
    const seen = latest.get(wf.workflowId);
    if (!seen || isNewer(wf, seen)) latest.set(wf.workflowId, wf);
  }
  const pending = [...latest.values()].map((wf) =>
    wf.status.name === 'RUNNING'
      ? withDeadline(client.workflow.getHandle(wf.workflowId).query(statusQuery), QUERY_DEADLINE_MS)
      : closedSync(client, wf),
  );
  const statuses = (await Promise.all(pending)).filter((s): s is ListedSync => !!s && (!connector || s.connector === connector));
  return statuses.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

function isNewer(a: WorkflowExecutionInfo, b: WorkflowExecutionInfo): boolean {
  if (a.status.name === 'RUNNING' || b.status.name === 'RUNNING') return a.status.name === 'RUNNING';
  return (a.closeTime?.getTime() ?? 0) > (b.closeTime?.getTime() ?? 0);
}

/** A closed run: its last status (a worker replays it to answer) or what visibility knows, and its error. */
async function closedSync(client: Client, wf: WorkflowExecutionInfo): Promise<ListedSync> {
  const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
  const [queried, failure] = await Promise.all([
    withDeadline(handle.query(statusQuery), QUERY_DEADLINE_MS),
    wf.status.name === 'FAILED'
      ? withDeadline(
          handle.result().then(() => undefined, failureMessage),
          QUERY_DEADLINE_MS,
        )
      : undefined,
  ]);
  const [connector = '', userId = ''] = wf.workflowId.split('/').slice(1);
  const known: SyncStatus = queried ?? {
    workflowId: wf.workflowId,
    connector: wf.typedSearchAttributes.get(searchAttributes.connector) ?? connector,
    userId: wf.typedSearchAttributes.get(searchAttributes.user) ?? userId,
    phase: (wf.typedSearchAttributes.get(searchAttributes.phase) ?? 'idle') as Phase,
    counters: { pages: 0, listed: 0, fetched: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0, rateLimitWaits: 0 },
    inFlight: 0,
    runsSoFar: 0,
  };
  return { ...known, lastError: known.lastError ?? failure, executionStatus: wf.status.name, closedAt: wf.closeTime?.toISOString() };
}

function failureMessage(err: Error): string {
  return (err.cause as Error | undefined)?.message ?? err.message;
}

export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
}

/**
 * The status table. `width` is the terminal's (output.ts terminalWidth): the wide table when it fits
 * or when there is no terminal (piped output keeps one stable layout), otherwise one compact block
 * per sync with every line cut to the width. Closed syncs add how they ended and their last error.
 */
export function renderStatuses(statuses: ListedSync[], withBars = false, width?: number): string {
  if (statuses.length === 0) return 'no syncs';
  const closed = statuses.some((s) => s.closedAt);
  const head = ['sync', 'phase', 'listed', 'fetched', 'failed', 'deleted', 'in flight', 'wait reason', 'next sync', 'ETA'];
  if (closed) head.push('status', 'last error');
  if (withBars) head.push('progress');
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const s of statuses) {
    const c = s.counters;
    const row = [
      `${s.connector}/${s.userId}`,
      s.phase,
      c.listed,
      c.fetched,
      c.failed,
      c.deleted,
      s.inFlight,
      s.waitReason ?? '',
      s.nextSyncAt ?? '',
      etaOf(s),
    ].map(String);
    if (closed) row.push(s.closedAt ? `${s.executionStatus} ${s.closedAt}` : 'RUNNING', s.lastError ?? '');
    if (withBars) row.push(progressBar(processedOf(s), c.listed));
    table.push(row);
  }
  const wide = table.toString();
  if (width === undefined || wide.split('\n').every((line) => line.length <= width)) return wide;
  return statuses.map((s) => compactBlock(s, withBars, width)).join('\n\n');
}

function processedOf(s: SyncStatus): number {
  const c = s.counters;
  return c.fetched + c.unchanged + c.skipped + c.failed;
}

function etaOf(s: SyncStatus): string {
  return s.etaSeconds !== undefined ? `${s.etaSeconds}s` : '';
}

/** A narrow terminal's layout: the same facts as a table row, a few per line, nothing wrapped. */
function compactBlock(s: SyncStatus, withBars: boolean, width: number): string {
  const c = s.counters;
  const lines = [
    `${s.connector}/${s.userId}  ${s.phase}`,
    `  listed ${c.listed}  fetched ${c.fetched}  failed ${c.failed}  deleted ${c.deleted}  in flight ${s.inFlight}${s.documentsLeft ? `  left ${s.documentsLeft}` : ''}`,
  ];
  const timing = [s.nextSyncAt ? `next sync ${s.nextSyncAt}` : '', etaOf(s) ? `ETA ${etaOf(s)}` : ''].filter(Boolean).join('  ');
  if (timing) lines.push(`  ${timing}`);
  if (s.waitReason) lines.push(`  wait: ${s.waitReason}`);
  if (withBars) lines.push(`  ${progressBar(processedOf(s), c.listed, Math.max(5, Math.min(20, width - 10)))}`);
  return lines.map((line) => fitLine(line, width)).join('\n');
}

const FINISHED_BADLY = new Set(['failed', 'auth-failed', 'cancelled']);

/** --until-idle: done when every sync shown has completed a sync and has nothing left in flight. */
export function allIdle(statuses: SyncStatus[]): boolean {
  const bad = statuses.find((s) => FINISHED_BADLY.has(s.phase));
  if (bad) throw new CliError(`sync ${bad.workflowId} is ${bad.phase}${bad.lastError ? `: ${bad.lastError}` : ''}`, EXIT.failed);
  return statuses.length > 0 && statuses.every((s) => s.phase === 'idle' && s.inFlight === 0 && s.lastSyncAt !== undefined);
}

/** A watched sync that has closed: returns when it completed, throws its failure otherwise. */
async function ensureStillRunning(connector: string, userId: string): Promise<boolean> {
  const handle = (await temporalClient()).workflow.getHandle(syncWorkflowId(connector, userId));
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return true;
  if (status.name === 'COMPLETED') return false;
  const reason = await handle.result().then(
    () => status.name,
    (err: Error) => (err.cause as Error | undefined)?.message ?? err.message,
  );
  throw new CliError(`sync ${handle.workflowId} is ${status.name.toLowerCase()}: ${reason}`, EXIT.failed);
}

interface WatchFlags {
  untilIdle?: boolean;
  refresh: string;
}

async function watch(connector: string | undefined, user: string | undefined, flags: WatchFlags): Promise<void> {
  const refreshMs = Number(flags.refresh) * 1000;
  if (!(refreshMs >= 100)) throw new CliError(`--refresh must be a number of seconds ≥ 0.1, got "${flags.refresh}"`, EXIT.usage);
  // Redraw in place on a terminal; append frames when piped (logs, CI) so nothing is lost.
  const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
  let stop = false;
  const onInterrupt = () => (stop = true);
  process.once('SIGINT', onInterrupt);
  try {
    while (!stop) {
      const statuses = await collect(connector, user);
      process.stdout.write(`${clear}${new Date().toISOString()}\n${renderStatuses(statuses, true, terminalWidth())}\n`);
      if (flags.untilIdle && allIdle(statuses)) return;
      if (connector && user && !(await ensureStillRunning(connector, user))) return;
      await new Promise((r) => setTimeout(r, refreshMs));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

interface ListFlags {
  watch?: boolean;
  json?: boolean;
  open?: boolean;
  closed?: boolean;
  all?: boolean;
}

function listFilter(flags: ListFlags): Filter {
  const given = (['open', 'closed', 'all'] as const).filter((f) => flags[f]);
  if (given.length > 1)
    throw new CliError(`give one of --open, --closed, --all (got ${given.map((f) => `--${f}`).join(', ')})`, EXIT.usage);
  return given[0] ?? 'recent';
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status [connector] [user]')
    .description('phase, counts, in-flight documents, wait reason, next sync and ETA of running syncs, and how recently closed ones ended')
    .option('--watch', 'refresh with progress bars until Ctrl-C')
    .option('--until-idle', 'with --watch: exit once caught up with nothing in flight (exit 1 if the sync failed)')
    .option('--refresh <seconds>', 'with --watch: seconds between refreshes', '1')
    .option('--json', 'print the raw status objects')
    .option('--open', 'only running syncs')
    .option('--closed', 'only closed syncs (completed, failed, cancelled, terminated), of any age')
    .option('--all', 'running and closed syncs of any age (default: running ones and those closed in the last 24 h)')
    .action(async (connector: string | undefined, user: string | undefined, flags: WatchFlags & ListFlags) => {
      if (connector && !user) throw new CliError('give both <connector> and <user>, or neither', EXIT.usage);
      const filter = listFilter(flags);
      if (flags.untilIdle && !flags.watch) throw new CliError('--until-idle needs --watch', EXIT.usage);
      if (flags.watch) return watch(connector, user, flags);
      const statuses = await collect(connector, user, filter);
      console.log(flags.json ? JSON.stringify(statuses, null, 2) : renderStatuses(statuses, false, terminalWidth()));
    });
}
