// Validates a connector's config with its zod schema and turns failures into a ConfigError
// that names every bad field (never echoing values, which may be secrets); derives the secret
// fields and values from the schema's `secret(...)` marks.
import type { ZodType } from 'zod';
import { SECRET_META_KEY, type Connector, type JsonObject } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';

export function parseConnectorConfig<C>(connector: Connector<C>, raw: unknown): C {
  rejectUnknownKeys(connector, raw);
  const result = connector.configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    return { field, message: `${field}: ${issue.message}` };
  });
  const fields = [...new Set(issues.map((i) => i.field))];
  return throwConfig(
    connector.name,
    fields,
    issues.map((i) => i.message),
  );
}

/**
 * A misspelt key ("sourcedir") would otherwise be dropped silently and the default used. Checked
 * here rather than by making every schema strict, so plugin schemas get it too; a schema that takes
 * any key (z.looseObject, a catchall) or is not a plain object is left alone.
 */
function rejectUnknownKeys(connector: Connector<unknown>, raw: unknown): void {
  const def = connector.configSchema.def as { type?: string; catchall?: unknown } | undefined;
  if (def?.type !== 'object' || def.catchall !== undefined || !raw || typeof raw !== 'object' || Array.isArray(raw)) return;
  const known = Object.keys(shapeOf(connector.configSchema));
  const unknown = Object.keys(raw).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  throwConfig(
    connector.name,
    unknown,
    unknown.map((key) => {
      const near = closestKey(key, known);
      return `${key}: unknown field${near ? ` (did you mean "${near}"?)` : ''}`;
    }),
  );
}

/** The known key within a third of its length in edits (case ignored), if any. */
function closestKey(key: string, known: string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || distance < best.distance))
      best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Secrets in workflow input would sit in history for good: refuse them, naming the fields. */
export function rejectSecretsInInput(
  connector: Connector<unknown>,
  input: { connector: string; userId: string; config?: JsonObject },
): void {
  const secretFields = secretFieldsOf(connector);
  const fields = Object.keys(input.config ?? {}).filter((key) => secretFields.includes(key));
  if (fields.length === 0) return;
  throw new ConfigError(
    `config fields ${fields.join(', ')} of connector "${input.connector}" are secrets and must not travel in workflow input: ` +
      `store them with "docsync connect ${input.connector} --user ${input.userId} --config <file>" and pass the credentialRef`,
    fields,
    { connector: input.connector, userId: input.userId },
  );
}

/** Top-level config fields marked `secret(...)` in the schema, plus any the connector lists itself. */
export function secretFieldsOf(connector: Pick<Connector<unknown>, 'configSchema' | 'secretFields'>): string[] {
  const marked = Object.entries(shapeOf(connector.configSchema))
    .filter(([, field]) => isSecret(field))
    .map(([key]) => key);
  return [...new Set([...marked, ...(connector.secretFields ?? [])])];
}

/** Every string held under a secret field of `config` (nested ones too): what error text must never show. */
export function secretValuesOf(schema: ZodType, config: object): string[] {
  const values: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string' && value) values.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    if (isSecret(field)) collect((config as Record<string, unknown>)[key]);
  }
  return values;
}

/** The fields of an object schema (refinements keep the object in zod 4); {} for other schemas. */
function shapeOf(schema: ZodType): Record<string, ZodType> {
  return (schema as { shape?: Record<string, ZodType> }).shape ?? {};
}

/** A mark may sit on the field or inside its optional/default/nullable wrappers. */
function isSecret(field: ZodType): boolean {
  for (let current: ZodType | undefined = field; current; current = (current.def as { innerType?: ZodType }).innerType) {
    if (current.meta()?.[SECRET_META_KEY] === true) return true;
  }
  return false;
}

function throwConfig(connector: string, fields: string[], messages: string[]): never {
  throw new ConfigError(`invalid config for connector "${connector}": ${messages.join('; ')}`, fields, { connector });
}
