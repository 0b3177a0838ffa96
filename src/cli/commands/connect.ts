// `docsync connect` and `docsync connectors`: validate a connector config, check it with ping,
// store it encrypted, and list what connectors exist with their config fields.
import type { Command } from 'commander';
import { pino } from 'pino';
import type { ZodType } from 'zod';
import { parseConnectorConfig } from '../../connectors/config.js';
import { connectorNames, loadConnector } from '../../connectors/registry.js';
import { ConfigError, DocsyncError } from '../../core/errors.js';
import { CliError, credentialStore, EXIT } from '../context.js';
import { readJsonFile } from './sync.js';

/** Field names with required/optional, read from a zod object schema. */
export function describeFields(schema: ZodType<unknown>): string[] {
  const shape = (schema as unknown as { shape?: Record<string, ZodType<unknown>> }).shape;
  if (!shape) return [];
  return Object.entries(shape).map(([name, field]) => `${name}${field.safeParse(undefined).success ? '' : ' (required)'}`);
}

export async function connect(connectorName: string, userId: string, configFile: string): Promise<string> {
  const connector = await loadConnector(connectorName).catch((err: unknown) => {
    throw new CliError((err as Error).message, EXIT.config);
  });
  const raw = readJsonFile(configFile, 'config');
  let config: unknown;
  try {
    config = parseConnectorConfig(connector, raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(
      `invalid config for ${connectorName}:\n${err.message
        .split(': ')
        .slice(1)
        .join(': ')
        .split('; ')
        .map((l) => `  - ${l}`)
        .join('\n')}`,
      EXIT.config,
    );
  }
  const store = await credentialStore();
  if (connector.ping) {
    const controller = new AbortController();
    try {
      await connector.ping({
        userId,
        config,
        logger: pino({ level: 'silent' }),
        signal: controller.signal,
        heartbeat: () => undefined,
        saveCredentials: async () => undefined,
      });
    } catch (err) {
      const kind = err instanceof DocsyncError ? err.name : 'Error';
      throw new CliError(`ping failed for ${connectorName}/${userId} (${kind}): ${(err as Error).message}`, EXIT.failed);
    }
  }
  const ref = await store.save(connectorName, userId, raw);
  return ref;
}

export function registerConnectCommands(program: Command): void {
  program
    .command('connect <connector>')
    .description('validate a connector config, ping the source, store it encrypted; prints the credential ref')
    .requiredOption('--user <id>', 'the user this account belongs to')
    .requiredOption('--config <file>', 'JSON file with the connector config (secrets included)')
    .action(async (connector: string, flags: { user: string; config: string }) => {
      const ref = await connect(connector, flags.user, flags.config);
      console.log(ref);
      console.error(`stored encrypted credentials for ${connector}/${flags.user}; start with: docsync sync ${connector} ${flags.user}`);
    });
  program
    .command('connectors')
    .description('list connectors with their config fields')
    .action(async () => {
      for (const name of connectorNames()) {
        const connector = await loadConnector(name);
        console.log(`${name}: ${describeFields(connector.configSchema).join(', ')}`);
      }
    });
}
