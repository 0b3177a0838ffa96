// Validates a connector's config with its zod schema and turns failures into a ConfigError
// that names every bad field (never echoing values, which may be secrets).
import type { Connector, JsonObject } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';

export function parseConnectorConfig<C>(connector: Connector<C>, raw: unknown): C {
  const result = connector.configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    return { field, message: `${field}: ${issue.message}` };
  });
  const fields = [...new Set(issues.map((i) => i.field))];
  return throwConfig(connector.name, fields, issues.map((i) => i.message));
}

/** Secrets in workflow input would sit in history for good: refuse them, naming the fields. */
export function rejectSecretsInInput(
  connector: Connector<unknown>,
  input: { connector: string; userId: string; config?: JsonObject },
): void {
  const fields = Object.keys(input.config ?? {}).filter((key) => connector.secretFields?.includes(key));
  if (fields.length === 0) return;
  throw new ConfigError(
    `config fields ${fields.join(', ')} of connector "${input.connector}" are secrets and must not travel in workflow input: ` +
      `store them with "docsync connect ${input.connector} --user ${input.userId} --config <file>" and pass the credentialRef`,
    fields,
    { connector: input.connector, userId: input.userId },
  );
}

function throwConfig(connector: string, fields: string[], messages: string[]): never {
  throw new ConfigError(
    `invalid config for connector "${connector}": ${messages.join('; ')}`,
    fields,
    { connector },
  );
}
