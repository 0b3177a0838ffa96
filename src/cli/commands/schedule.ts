// `docsync schedule <connector> <user> --every <duration> | --cron <expr>` and `schedule list|trigger|delete`:
// a Temporal Schedule whose action, the tiny `scheduledSync` workflow, nudges (or starts) the user's sync.
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { searchAttributes } from '../../workflows/definitions.js';
import { CliError, EXIT, settings, temporalClient } from '../context.js';
import { syncInput, type SyncFlags } from './sync.js';

const PREFIX = 'docsync-sync/';

export function scheduleId(connector: string, userId: string): string {
  return `${PREFIX}${connector}/${userId}`;
}

interface ScheduleFlags extends SyncFlags {
  every?: string;
  cron?: string;
}

function scheduleSpec(flags: ScheduleFlags): { spec: ScheduleSpec; text: string } {
  if (!!flags.every === !!flags.cron)
    throw new CliError('give exactly one of --every <duration> (e.g. 15m, 1h, 1d) or --cron "<expr>"', EXIT.usage);
  if (flags.every) {
    if (!/^\d+(s|m|h|d)$/.test(flags.every) || /^0+[smhd]$/.test(flags.every)) {
      throw new CliError(`--every must be a positive duration like 30s, 15m, 1h or 1d, got "${flags.every}"`, EXIT.usage);
    }
    return { spec: { intervals: [{ every: flags.every as `${number}s` }] }, text: `every ${flags.every}` };
  }
  return { spec: { cronExpressions: [flags.cron!] }, text: `cron ${flags.cron}` };
}

export async function createSchedule(connector: string, userId: string, flags: ScheduleFlags): Promise<string> {
  const { spec, text } = scheduleSpec(flags);
  const input = await syncInput(connector, userId, flags);
  const client = await temporalClient();
  const id = scheduleId(connector, userId);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: 'scheduledSync',
    taskQueue: settings().taskQueue,
    workflowId: `scheduled-sync/${connector}/${userId}`, // the server appends the scheduled time
    args: [input],
    typedSearchAttributes: [
      { key: searchAttributes.connector, value: connector },
      { key: searchAttributes.user, value: userId },
    ],
  };
  // SKIP: a nudge still running when the next one is due makes the next one pointless.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' } as const;
  const memo = { connector, userId, spec: text };
  try {
    await client.schedule.getHandle(id).update((previous) => ({ ...previous, spec, action, policies }));
    return `updated schedule ${id}: ${text}`;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  await client.schedule.create({ scheduleId: id, spec, action, policies, memo });
  return `created schedule ${id}: ${text} (each run nudges sync/${connector}/${userId}, starting it if needed)`;
}

async function withSchedule<T>(connector: string, userId: string, use: (id: string) => Promise<T>): Promise<T> {
  const id = scheduleId(connector, userId);
  try {
    return await use(id);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new CliError(`no schedule for connector "${connector}" and user "${userId}" (${id})`, EXIT.notFound);
    throw err;
  }
}

export async function listSchedules(): Promise<string> {
  const client = await temporalClient();
  const table = new Table({ head: ['schedule', 'when', 'paused', 'next run', 'last run'], style: { head: [], border: [] } });
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(PREFIX)) continue;
    const last = s.info.recentActions.at(-1)?.takenAt;
    table.push(
      [
        s.scheduleId,
        String(s.memo?.spec ?? ''),
        s.state.paused ? 'yes' : 'no',
        s.info.nextActionTimes[0]?.toISOString() ?? '',
        last?.toISOString() ?? '',
      ].map(String),
    );
  }
  return table.length ? table.toString() : 'no docsync schedules';
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('sync a user on a Temporal Schedule (overlap policy SKIP); subcommands: list, trigger, delete')
    .argument('<connector>')
    .argument('<user>')
    .option('--every <duration>', 'interval: 30s, 15m, 1h, 1d')
    .option('--cron <expr>', 'cron expression, e.g. "0 * * * *"')
    .option('--config <file>', 'JSON file with non-secret connector config (secrets: use `docsync connect`)')
    .option('--credential-ref <ref>', 'credential reference from `docsync connect` (default: the newest for this user)')
    .action(async (connector: string, user: string, flags: ScheduleFlags) => console.log(await createSchedule(connector, user, flags)));
  schedule
    .command('list')
    .description('docsync schedules with their next and last runs')
    .action(async () => console.log(await listSchedules()));
  schedule
    .command('trigger <connector> <user>')
    .description('run a schedule now')
    .action(async (connector: string, user: string) =>
      console.log(
        await withSchedule(connector, user, async (id) => {
          await (await temporalClient()).schedule.getHandle(id).trigger(ScheduleOverlapPolicy.SKIP);
          return `triggered ${id}`;
        }),
      ),
    );
  schedule
    .command('delete <connector> <user>')
    .description('delete a schedule (the running sync keeps running: `docsync cancel` stops it)')
    .action(async (connector: string, user: string) =>
      console.log(
        await withSchedule(connector, user, async (id) => {
          await (await temporalClient()).schedule.getHandle(id).delete();
          return `deleted ${id}`;
        }),
      ),
    );
}
