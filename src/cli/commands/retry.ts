// `docsync docs retry <connector> <user> <externalId>`: hands one document (a parked poison
// document, or a corrupt file fixed in place) back to the user's sync and nudges it with syncNow.
import type { Command } from 'commander';
import { requestRetry } from '../../store/parked.js';
import { CliError, database, EXIT } from '../context.js';
import { signalSync } from './sync.js';

export async function retryDocument(connector: string, userId: string, externalId: string): Promise<string> {
  const pool = await database();
  if (!(await requestRetry(pool, { connector, userId }, externalId))) {
    throw new CliError(`no live document "${externalId}" for ${connector}/${userId}`, EXIT.notFound);
  }
  // The request is stored first: if no sync is running, the next one picks it up anyway.
  const sent = await signalSync('syncNow', connector, userId).catch((err: unknown) => {
    if (err instanceof CliError && err.exitCode === EXIT.notFound) return 'no sync running: the next sync retries it';
    throw err;
  });
  return `queued ${externalId} for retry; ${sent}`;
}

export function registerRetryCommand(program: Command): void {
  const docs = program.commands.find((c) => c.name() === 'docs') ?? program.command('docs');
  docs
    .command('retry <connector> <user> <externalId>')
    .description('fetch one document again on the next sync (e.g. a parked failed document) and start that sync now')
    .action(async (connector: string, user: string, externalId: string) => console.log(await retryDocument(connector, user, externalId)));
}
