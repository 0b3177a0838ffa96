// `docsync docs list|show`, `docsync changes [--since <seq>] [--consumer <name>] [--follow]` and `docsync runs`: read the store, the
// change feed and the import log (through the store's typed readers; no SQL here).
import Table from 'cli-table3';
import type { Command } from 'commander';
import { MAX_CHANGES_PER_READ, readChanges, type Change } from '../../store/changes.js';
import { acknowledgeChanges, checkConsumerName, consumerPosition } from '../../store/consumers.js';
import { followChanges } from '../../store/follow-changes.js';
import { countDocuments, getDocument, listDocuments, type DocumentRow } from '../../store/documents.js';
import { listSyncRuns } from '../../store/sync-runs.js';
import { CliError, database, EXIT } from '../context.js';
import { fitLine, noteTruncated, terminalWidth } from '../output.js';

const STATUSES: readonly DocumentRow['status'][] = ['pending', 'fetched', 'failed', 'skipped', 'deleted'];

/** A change-feed seq as given: kept as a decimal string, since seqs pass 2^53 where a number would round. */
function feedCursor(value: string, flag: string): string {
  const text = value.trim();
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a whole number ≥ 0, got "${value}"`, EXIT.usage);
  return BigInt(text).toString();
}

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number ≥ 0, got "${value}"`, EXIT.usage);
  return n;
}

interface ChangesFlags {
  since: string;
  limit: string;
  connector?: string;
  user?: string;
  follow?: boolean;
  consumer?: string;
}

function checkedConsumer(name: string): string {
  try {
    return checkConsumerName(name);
  } catch (err) {
    throw new CliError(`--consumer: ${(err as Error).message}`, EXIT.usage);
  }
}

/** The same snake_case lines as the table's columns, so consumers' parsers keep working. */
function printChanges(feed: Change[]): void {
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
}

/** `--follow`: prints batches as they commit until SIGINT/SIGTERM, then exits 0. */
async function followFeed(flags: ChangesFlags, since: string, limit: number): Promise<void> {
  if (flags.consumer) checkedConsumer(flags.consumer);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await followChanges(
      await database(),
      {
        since,
        consumer: flags.consumer,
        connector: flags.connector,
        userId: flags.user,
        batchSize: Math.max(1, limit),
        signal: stop.signal,
      },
      async (feed) => printChanges(feed),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerStoreCommands(program: Command): void {
  const docs = program.command('docs').description('documents stored in Postgres');
  docs
    .command('list <connector> <user>')
    .option('--status <status>', 'only pending|fetched|failed|skipped|deleted')
    .option('--limit <n>', 'at most n rows (stderr says when more exist)', '100')
    .option('--json', 'JSON lines instead of a table')
    .action(async (connector: string, user: string, flags: { status?: string; limit: string; json?: boolean }) => {
      const limit = wholeNumber(flags.limit, '--limit');
      const status = flags.status as DocumentRow['status'] | undefined;
      // An unknown status matched no row before; it still lists nothing rather than failing.
      const known = !status || STATUSES.includes(status);
      const db = await database();
      const rows = known ? await listDocuments(db, { connector, userId: user, status, limit }) : [];
      if (known && rows.length === limit) {
        noteTruncated(rows.length, await countDocuments(db, { connector, userId: user, status }), 'raise --limit to see more');
      }
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
      console.log(documentTable(rows, terminalWidth()));
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
    .option('--since <seq>', 'print changes with seq greater than this (with --consumer: where a new consumer starts)', '0')
    .option('--limit <n>', `at most n changes (up to ${MAX_CHANGES_PER_READ}; continue from the last seq)`, '1000')
    .option('--connector <name>')
    .option('--user <id>')
    .option('--follow', 'keep printing new changes as they commit, until interrupted')
    .option('--consumer <name>', 'a named cursor kept in Postgres: start where it stopped, advance it after printing')
    .action(async (flags: ChangesFlags) => {
      const since = feedCursor(flags.since, '--since');
      const limit = wholeNumber(flags.limit, '--limit');
      if (flags.follow) return followFeed(flags, since, limit);
      if (limit === 0) return; // LIMIT 0 printed nothing; the store reader asks for at least one row
      const db = await database();
      const from = flags.consumer ? await consumerPosition(db, checkedConsumer(flags.consumer), since) : since;
      // One row past the limit tells whether the feed goes on, without counting the whole feed.
      const read = await readChanges(db, { since: from, connector: flags.connector, userId: flags.user, limit: limit + 1 });
      const feed = read.slice(0, limit);
      printChanges(feed);
      // Acknowledged once printed (stdout to a pipe or file is written synchronously on Linux).
      if (flags.consumer && feed.length > 0) await acknowledgeChanges(db, flags.consumer, feed[feed.length - 1].seq);
      if (read.length > limit && feed.length > 0)
        noteTruncated(
          feed.length,
          undefined,
          flags.consumer ? 'run again to continue' : `continue with --since ${feed[feed.length - 1].seq}`,
        );
    });
  program
    .command('runs [connector] [user]')
    .description('the import log: one row per sync cycle, newest first')
    .option('--limit <n>', 'at most n runs (stderr says when more exist)', '20')
    .option('--json', 'JSON lines instead of a table')
    .action(async (connector: string | undefined, user: string | undefined, flags: { limit: string; json?: boolean }) => {
      const limit = wholeNumber(flags.limit, '--limit');
      const read = limit === 0 ? [] : await listSyncRuns(await database(), { connector, userId: user, limit: limit + 1 });
      const runs = read.slice(0, limit);
      if (read.length > limit) noteTruncated(runs.length, undefined, 'raise --limit to see more');
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

/** Titles and errors are the long cells: on a narrow terminal they are cut so rows stay one line. */
function documentTable(rows: Omit<DocumentRow, 'text'>[], width: number | undefined): string {
  const cells = rows.map((r) => [r.external_id, r.title, r.status, r.size ?? '', r.version, r.error ?? ''].map(String));
  const render = (cut: number) => {
    const table = new Table({ head: ['external id', 'title', 'status', 'size', 'version', 'error'], style: { head: [], border: [] } });
    for (const row of cells) table.push(row.map((cell, i) => (i === 1 || i === 5 ? fitLine(cell, cut) : cell)));
    return table.toString();
  };
  let cut = 128;
  let text = render(Infinity);
  while (width !== undefined && cut >= 8 && text.split('\n')[0].length > width) text = render((cut = Math.floor(cut / 2)));
  return text;
}
