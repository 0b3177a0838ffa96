// `docsync sync|pause|resume|resync|cancel <connector> <user>`: start the per-user workflow or signal it.
import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { parseConnectorConfig, rejectSecretsInInput } from '../../connectors/config.js';
import { loadConnector } from '../../connectors/registry.js';
import type { JsonObject } from '../../core/contract.js';
import { ConfigError } from '../../core/errors.js';
import { latestCredentialRefFor } from '../../store/credentials.js';
import { signalSync as sendSignal, startOrNudgeSync, syncHandle, type SyncSignalName } from '../../workflows/client.js';
import {
  isUndefinedSearchAttributeError,
  missingSearchAttributes,
  missingSearchAttributesMessage,
} from '../../workers/search-attributes.js';
import { searchAttributes, syncWorkflowId } from '../../workflows/definitions.js';
import type { SyncOptions, SyncUserInput } from '../../workflows/types.js';
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
  const options: SyncOptions = {};
  if (flags.interval) options.syncIntervalSeconds = positiveInt(flags.interval, '--interval');
  if (flags.maxInFlight) options.maxInFlight = positiveInt(flags.maxInFlight, '--max-in-flight');
  if (flags.once) options.once = true;
  if (flags.searchAttributes === false) options.searchAttributes = false;
  return { connector, userId, credentialRef, config: credentialRef ? {} : config, options };
}

export async function startSync(connector: string, userId: string, flags: SyncFlags): Promise<string> {
  const input = await syncInput(connector, userId, flags);
  const client = await temporalClient();
  const withAttributes = flags.searchAttributes !== false;
  const { handle, started } = await startOrNudgeSync(client, input, {
    taskQueue: settings().taskQueue,
    memo: { connector, userId },
    typedSearchAttributes: withAttributes
      ? [
          { key: searchAttributes.connector, value: connector },
          { key: searchAttributes.user, value: userId },
        ]
      : [],
  }).catch(async (err: unknown) => {
    if (!withAttributes || !isUndefinedSearchAttributeError(err)) throw err;
    const { namespace } = settings();
    const missing = await missingSearchAttributes(await temporalConnection(), namespace).catch(() => ['Docsync*']);
    throw new CliError(missingSearchAttributesMessage(namespace, missing), EXIT.config);
  });
  return started
    ? `started ${handle.workflowId} on task queue ${settings().taskQueue}`
    : `${handle.workflowId} is already running: sent syncNow`;
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive whole number, got "${value}"`, EXIT.usage);
  return n;
}

export async function signalSync(signal: SyncSignalName, connector: string, userId: string): Promise<string> {
  const client = await temporalClient();
  const workflowId = syncWorkflowId(connector, userId);
  try {
    await sendSignal(syncHandle(client, connector, userId), signal);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(`no running sync for connector "${connector}" and user "${userId}" (workflow ${workflowId})`, EXIT.notFound);
    }
    throw err;
  }
  return `sent ${signal} to ${workflowId}`;
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
    .action(async (connector: string, user: string, flags: SyncFlags) => console.log(await startSync(connector, user, flags)));
  for (const signal of ['pause', 'resume', 'resync', 'cancel'] as const) {
    program
      .command(`${signal} <connector> <user>`)
      .description(`send the ${signal} signal to a user's sync`)
      .action(async (connector: string, user: string) => console.log(await signalSync(signal, connector, user)));
  }
}
