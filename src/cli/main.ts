// The `docsync` command line.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/errors.js';
import { registerCodecServerCommand } from './commands/codec-server.js';
import { registerConnectCommands } from './commands/connect.js';
import { registerNewConnectorCommand } from './commands/new-connector.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerServiceCommands } from './commands/services.js';
import { registerSetupCommand } from './commands/setup.js';
import { registerStatusCommand } from './commands/status.js';
import { registerStoreCommands } from './commands/store.js';
import { registerRetryCommand } from './commands/retry.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerWebhooksCommand } from './commands/webhooks.js';
import { CliError, closeAll, EXIT, loadDevEnv } from './context.js';
import { exitQuietlyOnClosedPipe, packageVersion } from './output.js';

export function buildProgram(): Command {
  const program = new Command('docsync')
    .description('durable document sync on Temporal: Dropbox, Google Drive, Gmail, folders → Postgres')
    .version(packageVersion(), '-V, --version', 'print the docsync version')
    .exitOverride();
  registerServiceCommands(program);
  registerConnectCommands(program);
  registerSyncCommands(program);
  registerStatusCommand(program);
  registerStoreCommands(program);
  registerRetryCommand(program);
  registerNewConnectorCommand(program);
  registerScheduleCommands(program);
  registerCodecServerCommand(program);
  registerWebhooksCommand(program);
  registerSetupCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  loadDevEnv();
  exitQuietlyOnClosedPipe();
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
    if (err instanceof CliError) {
      console.error(`docsync: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      console.error(`docsync: ${err.message}`);
      return EXIT.config;
    }
    console.error(`docsync: ${(err as Error).message}`);
    return EXIT.failed;
  } finally {
    await closeAll();
  }
}

process.exitCode = await main(process.argv);
// The command is done: a handle a library left open (the Temporal runtime's log forwarding after a
// worker failed to connect kept the process alive, ignoring SIGTERM) must not keep the CLI running.
setTimeout(() => process.exit(), 5_000).unref();
