// `docsync docs list|show`, `docsync changes --since <seq>` and `docsync runs`: read the store, the
// change feed and the import log (through the store's typed readers; no SQL here).
import Table from 'cli-table3';
import type { Command } from 'commander';
import { MAX_CHANGES_PER_READ, readChanges } from '../../store/changes.js';
import { getDocument, listDocuments, type DocumentRow } from '../../store/documents.js';
import { listSyncRuns } from '../../store/sync-runs.js';
import { CliError, database, EXIT } from '../context.js';

const STATUSES: readonly DocumentRow['status'][] = ['pending', 'fetched', 'failed', 'skipped', 'deleted'];

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number ≥ 0, got "${value}"`, EXIT.usage);
  return n;
}

export function registerStoreCommands(program: Command): void {
  const docs = program.command('docs').description('documents stored in Postgres');
  docs
    .command('list <connector> <user>')
    .option('--status <status>', 'only pending|fetched|failed|skipped|deleted')
    .option('--limit <n>', 'at most n rows', '100')
    .option('--json', 'JSON lines instead of a table')
    .action(async (connector: string, user: string, flags: { status?: string; limit: string; json?: boolean }) => {
      const limit = wholeNumber(flags.limit, '--limit');
      const status = flags.status as DocumentRow['status'] | undefined;
      // An unknown status matched no row before; it still lists nothing rather than failing.
      const rows =
        status && !STATUSES.includes(status) ? [] : await listDocuments(await database(), { connector, userId: user, status, limit });
      if (flags.json) {
        for (const { external_id, title, path, status, size, version, updated_at, error } of rows) {
          console.log(JSON.stringify({ external_id, title, path, status, size, version, updated_at, error }));
        }
        return;
      }
      if (rows.length === 0) {
        console.log(`no documents for ${connector}/${user}`);
        return;
      }
      const table = new Table({ head: ['external id', 'title', 'status', 'size', 'version', 'error'], style: { head: [], border: [] } });
      for (const r of rows) table.push([r.external_id, r.title, r.status, r.size ?? '', r.version, r.error ?? ''].map(String));
      console.log(table.toString());
    });
  docs
    .command('show <connector> <user> <externalId>')
    .option('--full', 'print the whole text')
    .action(async (connector: string, user: string, externalId: string, flags: { full?: boolean }) => {
      const row = await getDocument(await database(), { connector, userId: user }, externalId);
      if (!row) throw new CliError(`no document "${externalId}" for ${connector}/${user}`, EXIT.notFound);
      const { text, ...meta } = row;
      console.log(JSON.stringify(meta, null, 2));
      if (text !== null)
        console.log(`\n${flags.full || text.length <= 2000 ? text : `${text.slice(0, 2000)}… (${text.length} chars, --full for all)`}`);
    });
  program
    .command('changes')
    .description('the change feed after a sequence number (a downstream consumer keeps its own cursor)')
    .option('--since <seq>', 'print changes with seq greater than this', '0')
    .option('--limit <n>', `at most n changes (up to ${MAX_CHANGES_PER_READ}; continue from the last seq)`, '1000')
    .option('--connector <name>')
    .option('--user <id>')
    .action(async (flags: { since: string; limit: string; connector?: string; user?: string }) => {
      const since = wholeNumber(flags.since, '--since');
      const limit = wholeNumber(flags.limit, '--limit');
      if (limit === 0) return; // LIMIT 0 printed nothing; the store reader asks for at least one row
      const feed = await readChanges(await database(), { since, connector: flags.connector, userId: flags.user, limit });
      // The same snake_case lines as the table's columns, so consumers' parsers keep working.
      for (const c of feed) {
        console.log(
          JSON.stringify({
            seq: c.seq,
            connector: c.connector,
            user_id: c.userId,
            external_id: c.externalId,
            kind: c.kind,
            version: c.version,
            at: c.at,
          }),
        );
      }
    });
  program
    .command('runs [connector] [user]')
    .description('the import log: one row per sync cycle, newest first')
    .option('--limit <n>', 'at most n runs', '20')
    .option('--json', 'JSON lines instead of a table')
    .action(async (connector: string | undefined, user: string | undefined, flags: { limit: string; json?: boolean }) => {
      const limit = wholeNumber(flags.limit, '--limit');
      const runs = await listSyncRuns(await database(), { connector, userId: user, limit });
      if (flags.json) {
        for (const run of runs) console.log(JSON.stringify(run));
        return;
      }
      if (runs.length === 0) {
        console.log(`no sync runs${connector ? ` for ${connector}${user ? `/${user}` : ''}` : ''}`);
        return;
      }
      const table = new Table({
        head: ['started', 'user', 'outcome', 'pages', 'upserts', 'deletes', 'errors', 'listing', 'took'],
        style: { head: [], border: [] },
      });
      for (const r of runs) {
        const took = r.finished_at ? `${((r.finished_at.getTime() - r.started_at.getTime()) / 1000).toFixed(1)} s` : '';
        table.push(
          [
            r.started_at.toISOString(),
            `${r.connector}/${r.user_id}`,
            r.outcome,
            r.pages,
            r.upserts,
            r.deletes,
            r.errors,
            r.full_listing ? 'full' : 'changes',
            took,
          ].map(String),
        );
      }
      console.log(table.toString());
    });
}
