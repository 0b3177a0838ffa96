// `docsync sync|pause|resume|resync|cancel <connector> <user>`: start the per-user workflow, nudge or
// signal it, or request its cancellation.
import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { parseConnectorConfig, rejectSecretsInInput } from '../../connectors/config.js';
import { loadConnector } from '../../connectors/registry.js';
import type { JsonObject } from '../../core/contract.js';
import { ConfigError } from '../../core/errors.js';
import { latestCredentialRefFor } from '../../store/credentials.js';
import {
  isSyncRunning,
  querySyncSettings,
  signalSync as sendSignal,
  startOrNudgeSync,
  startWatchChannels,
  stopWatchChannels,
  syncHandle,
  type SyncHandle,
  type SyncSignalName,
} from '../../workflows/client.js';
import {
  isUndefinedSearchAttributeError,
  missingSearchAttributes,
  missingSearchAttributesMessage,
} from '../../workers/search-attributes.js';
import { searchAttributes, syncWorkflowId } from '../../workflows/definitions.js';
import type { SyncOptions, SyncUserInput } from '../../workflows/types.js';
import { syncDescriptionFor } from '../sync-description.js';
import { CliError, database, EXIT, settings, temporalClient, temporalConnection } from '../context.js';

export function readJsonFile(file: string, what: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} file ${file}: ${(err as Error).message}`, EXIT.config);
  }
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as JsonObject;
  } catch (err) {
    throw new CliError(`${what} file ${file} is not a JSON object: ${(err as Error).message}`, EXIT.config);
  }
}

/** The newest credential stored for this connector and user by `docsync connect`. */
async function latestCredentialRef(connector: string, userId: string): Promise<string | undefined> {
  if (!process.env.DATABASE_URL) return undefined;
  return latestCredentialRefFor(await database(), connector, userId);
}

export interface SyncFlags {
  config?: string;
  credentialRef?: string;
  interval?: string;
  maxInFlight?: string;
  once?: boolean;
  /** `--no-search-attributes`: for a namespace without the Docsync* attributes. */
  searchAttributes?: boolean;
  /** `--no-longpoll`: poll at the interval only, even when the connector can long-poll (Dropbox). */
  longpoll?: boolean;
}

/** Long polling is the default wherever the connector supports it (it needs no public endpoint). */
async function canLongPoll(connector: string): Promise<boolean> {
  try {
    return typeof (await loadConnector(connector)).waitForChanges === 'function';
  } catch {
    return false; // an unknown connector: the workflow names it when it starts
  }
}

/** The syncUser input for a user: stored credentials by ref, else the validated config itself. */
export async function syncInput(connector: string, userId: string, flags: SyncFlags): Promise<SyncUserInput> {
  const config = flags.config ? readJsonFile(flags.config, 'config') : {};
  const credentialRef = flags.credentialRef ?? (await latestCredentialRef(connector, userId));
  if (!credentialRef) {
    // Without stored credentials the whole config travels in the workflow input: validate it now,
    // and refuse secrets there (they would stay in the workflow history).
    try {
      const loaded = await loadConnector(connector);
      rejectSecretsInInput(loaded, { connector, userId, config });
      parseConnectorConfig(loaded, config);
    } catch (err) {
      if (err instanceof ConfigError)
        throw new CliError(
          `${err.message}\n(store secrets with: docsync connect ${connector} --user ${userId} --config <file>)`,
          EXIT.config,
        );
      throw err;
    }
  }
  const options = syncOptions(flags);
  if (flags.longpoll !== false && (await canLongPoll(connector))) options.longpoll = true;
  return { connector, userId, credentialRef, config: credentialRef ? {} : config, options };
}

function syncOptions(flags: SyncFlags): SyncOptions {
  const options: SyncOptions = {};
  if (flags.interval) options.syncIntervalSeconds = positiveInt(flags.interval, '--interval');
  if (flags.maxInFlight) options.maxInFlight = positiveInt(flags.maxInFlight, '--max-in-flight');
  if (flags.once) options.once = true;
  if (flags.searchAttributes === false) options.searchAttributes = false;
  return options;
}

export async function startSync(connector: string, userId: string, flags: SyncFlags): Promise<string> {
  const client = await temporalClient();
  const running = syncHandle(client, connector, userId);
  // A running sync needs no config to be nudged, and keeps the settings it started with.
  if (await isSyncRunning(running)) return nudgeRunning(running, connector, userId, flags);
  const input = await syncInput(connector, userId, flags);
  const withAttributes = flags.searchAttributes !== false;
  const { handle, started } = await startOrNudgeSync(client, input, {
    taskQueue: settings().taskQueue,
    memo: { connector, userId },
    ...(await syncDescriptionFor(input)), // what the Web UI shows: connector, user, non-secret config
    typedSearchAttributes: !withAttributes
      ? []
      : [
          { key: searchAttributes.connector, value: connector },
          { key: searchAttributes.user, value: userId },
        ],
  }).catch(async (err: unknown) => {
    if (!withAttributes || !isUndefinedSearchAttributeError(err)) throw err;
    const { namespace } = settings();
    const missing = await missingSearchAttributes(await temporalConnection(), namespace).catch(() => ['Docsync*']);
    throw new CliError(missingSearchAttributesMessage(namespace, missing), EXIT.config);
  });
  const push = await startPush(client, input);
  return started
    ? `started ${handle.workflowId} on task queue ${settings().taskQueue}${push}`
    : `${handle.workflowId} is already running: sent syncNow${push}`;
}

/** With push configured (receiver URL or Gmail topic, and the secret), the user's channel lifecycle starts beside the sync. */
async function startPush(client: Awaited<ReturnType<typeof temporalClient>>, input: SyncUserInput): Promise<string> {
  const target = input.connector === 'gmail' ? process.env.DOCSYNC_GMAIL_PUSH_TOPIC : process.env.DOCSYNC_PUSH_URL;
  if (!target || !process.env.DOCSYNC_PUSH_SECRET || !(await loadConnector(input.connector)).watch) return '';
  const { connector, userId, credentialRef, config } = input;
  const watch = await startWatchChannels(
    client,
    { ref: { connector, userId, credentialRef, config } },
    { taskQueue: settings().taskQueue },
  );
  return `; push channel kept open by ${watch.workflowId}`;
}

/**
 * syncNow for a running sync. Flags equal to what it runs with are fine (scripts re-run the same
 * command); different ones are refused rather than silently ignored: changing a running sync's
 * config mid-listing would mix two sources in one enumeration (and its sweep).
 */
async function nudgeRunning(handle: SyncHandle, connector: string, userId: string, flags: SyncFlags): Promise<string> {
  const changed = await changedSettings(handle, connector, userId, flags);
  if (changed.length > 0) {
    throw new CliError(
      `${handle.workflowId} is already running with a different ${changed.join(', ')}; a running sync keeps the settings it started with.\n` +
        `To change them, cancel it and start it again: docsync cancel ${connector} ${userId} && docsync sync ${connector} ${userId} ${changed
          .map((flag) => `${flag} <value>`)
          .join(' ')}`,
      EXIT.usage,
    );
  }
  await sendSignal(handle, 'syncNow');
  return `${handle.workflowId} is already running: sent syncNow`;
}

const SETTING_FLAGS = {
  config: '--config',
  credentialRef: '--credential-ref',
  interval: '--interval',
  maxInFlight: '--max-in-flight',
  once: '--once',
};

/** The flags given that differ from the running sync's settings (all given ones if it cannot tell). */
async function changedSettings(handle: SyncHandle, connector: string, userId: string, flags: SyncFlags): Promise<string[]> {
  const given = (Object.keys(SETTING_FLAGS) as (keyof typeof SETTING_FLAGS)[]).filter((flag) => flags[flag] !== undefined);
  if (given.length === 0) return [];
  const running = await querySyncSettings(handle);
  if (!running) return given.map((flag) => SETTING_FLAGS[flag]);
  // Only a new --config needs validating (and the stored credential it would go with).
  const wanted = flags.config !== undefined ? await syncInput(connector, userId, flags) : { ...flags, options: syncOptions(flags) };
  const differs: Record<keyof typeof SETTING_FLAGS, () => boolean> = {
    config: () => stableJson(wanted.config ?? {}) !== stableJson(running.config ?? {}),
    credentialRef: () => wanted.credentialRef !== running.credentialRef,
    interval: () => wanted.options?.syncIntervalSeconds !== running.options.syncIntervalSeconds,
    maxInFlight: () => wanted.options?.maxInFlight !== running.options.maxInFlight,
    once: () => running.options.once !== true,
  };
  return given.filter((flag) => differs[flag]()).map((flag) => SETTING_FLAGS[flag]);
}

/** JSON with object keys sorted, so equal configs compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive whole number, got "${value}"`, EXIT.usage);
  return n;
}

export async function signalSync(signal: SyncSignalName, connector: string, userId: string): Promise<string> {
  const client = await temporalClient();
  const workflowId = syncWorkflowId(connector, userId);
  const handle = syncHandle(client, connector, userId);
  try {
    // Cancel is a Temporal cancellation (the workflow ends CANCELED, its activities cancelled); the
    // workflow still answers the old `cancel` signal for callers that send it.
    if (signal === 'cancel') await handle.cancel();
    else await sendSignal(handle, signal);
    // A cancelled (disconnected) user's push channel is stopped at the provider too.
    if (signal === 'cancel') await stopWatchChannels(client, connector, userId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no running sync for connector "${connector}" and user "${userId}" (workflow ${workflowId})`, EXIT.notFound);
    }
    throw err;
  }
  return signal === 'cancel' ? `requested cancellation of ${workflowId}` : `sent ${signal} to ${workflowId}`;
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync <connector> <user>')
    .description('start (or nudge) the per-user sync workflow')
    .option('--config <file>', 'JSON file with non-secret connector config (secrets: use `docsync connect`)')
    .option('--credential-ref <ref>', 'credential reference from `docsync connect` (default: the newest for this user)')
    .option('--interval <seconds>', 'seconds between syncs once caught up')
    .option('--max-in-flight <n>', 'documents fetched at once')
    .option('--once', 'finish after the first complete sync')
    .option('--no-search-attributes', 'set no Docsync* search attributes (for a namespace without them; see docsync setup)')
    .option('--no-longpoll', 'do not long-poll the source between syncs (default: on for connectors that can, e.g. Dropbox)')
    .action(async (connector: string, user: string, flags: SyncFlags) => console.log(await startSync(connector, user, flags)));
  for (const signal of ['pause', 'resume', 'resync', 'cancel'] as const) {
    program
      .command(`${signal} <connector> <user>`)
      .description(signal === 'cancel' ? "cancel a user's sync (it ends as CANCELED)" : `send the ${signal} signal to a user's sync`)
      .action(async (connector: string, user: string) => console.log(await signalSync(signal, connector, user)));
  }
}
