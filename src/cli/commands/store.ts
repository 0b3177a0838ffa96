// `docsync docs list|show` and `docsync changes --since <seq>`: read the store and the change feed.
import Table from 'cli-table3';
import type { Command } from 'commander';
import { CliError, database, EXIT } from '../context.js';

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
      const pool = await database();
      const result = await pool.query(
        `SELECT external_id, title, path, status, size, version, updated_at, error FROM documents
          WHERE connector = $1 AND user_id = $2 AND ($3::text IS NULL OR status = $3)
          ORDER BY external_id LIMIT $4`,
        [connector, user, flags.status ?? null, wholeNumber(flags.limit, '--limit')],
      );
      if (flags.json) {
        for (const row of result.rows) console.log(JSON.stringify(row));
        return;
      }
      if (result.rows.length === 0) {
        console.log(`no documents for ${connector}/${user}`);
        return;
      }
      const table = new Table({ head: ['external id', 'title', 'status', 'size', 'version', 'error'], style: { head: [], border: [] } });
      for (const r of result.rows) table.push([r.external_id, r.title, r.status, r.size ?? '', r.version, r.error ?? ''].map(String));
      console.log(table.toString());
    });
  docs
    .command('show <connector> <user> <externalId>')
    .option('--full', 'print the whole text')
    .action(async (connector: string, user: string, externalId: string, flags: { full?: boolean }) => {
      const pool = await database();
      const result = await pool.query('SELECT * FROM documents WHERE connector = $1 AND user_id = $2 AND external_id = $3', [connector, user, externalId]);
      const row = result.rows[0];
      if (!row) throw new CliError(`no document "${externalId}" for ${connector}/${user}`, EXIT.notFound);
      const { text, ...meta } = row;
      console.log(JSON.stringify(meta, null, 2));
      if (text !== null) console.log(`\n${flags.full || text.length <= 2000 ? text : `${text.slice(0, 2000)}… (${text.length} chars, --full for all)`}`);
    });
  program
    .command('changes')
    .description('the change feed after a sequence number (a downstream consumer keeps its own cursor)')
    .option('--since <seq>', 'print changes with seq greater than this', '0')
    .option('--limit <n>', 'at most n changes', '1000')
    .option('--connector <name>')
    .option('--user <id>')
    .action(async (flags: { since: string; limit: string; connector?: string; user?: string }) => {
      const pool = await database();
      const result = await pool.query(
        `SELECT seq, connector, user_id, external_id, kind, version, at FROM changes
          WHERE seq > $1 AND ($2::text IS NULL OR connector = $2) AND ($3::text IS NULL OR user_id = $3)
          ORDER BY seq LIMIT $4`,
        [wholeNumber(flags.since, '--since'), flags.connector ?? null, flags.user ?? null, wholeNumber(flags.limit, '--limit')],
      );
      for (const row of result.rows) console.log(JSON.stringify(row));
    });
}
