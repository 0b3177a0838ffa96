// Validates a connector's config with its zod schema and turns failures into a ConfigError
// that names every bad field (never echoing values, which may be secrets).
import type { Connector } from './types.js';
import { ConfigError } from './types.js';

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

function throwConfig(connector: string, fields: string[], messages: string[]): never {
  throw new ConfigError(
    `invalid config for connector "${connector}": ${messages.join('; ')}`,
    fields,
    { connector },
  );
}
