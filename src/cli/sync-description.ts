// What the Temporal Web UI shows for a user's sync (the workflow's user metadata): a one-line static
// summary (connector, user, account/folder) and markdown static details (connector, user, the
// non-secret config). Secrets never get in: fields marked secret in the connector's schema are
// left out, and any other value containing a secret value is redacted.
import { secretFieldsOf, secretValuesOf } from '../connectors/config.js';
import { loadConnector, type AnyConnector } from '../connectors/registry.js';
import type { JsonObject } from '../core/contract.js';
import type { SyncUserInput } from '../workflows/types.js';
import { credentialStore } from './context.js';

export interface SyncDescription {
  staticSummary: string;
  staticDetails: string;
}

/** Config keys that say which account or folder a sync covers: the summary names these. */
const WHERE_KEY = /dir|root|path|folder|account|subject|email|label|drive|^q$/i;
/** The Web UI shows the summary on one line; longer ones are cut here rather than by the UI. */
const SUMMARY_MAX = 160;
const VALUE_MAX = 200;
const REDACTED = '[redacted]';

export interface DescribeSyncInput {
  connector: AnyConnector;
  userId: string;
  /** The connector config the sync runs with (from the input, or the stored credential's). */
  config: JsonObject;
  /** Set when the config (secrets included) comes from the credential store. */
  credentialRef?: string;
}

export function describeSync({ connector, userId, config, credentialRef }: DescribeSyncInput): SyncDescription {
  const shown = nonSecretConfig(connector, config);
  const where = Object.entries(shown).filter(([key]) => WHERE_KEY.test(key));
  const summary = [connector.name, userId, ...where.map(([key, value]) => `${key}=${value}`)].join(' · ');
  const rows = Object.entries(shown).map(([key, value]) => `| \`${key}\` | ${escapeCell(value)} |`);
  const details = [
    `**docsync sync** of user \`${userId}\` from connector \`${connector.name}\``,
    '',
    credentialRef ? `Credentials: stored encrypted under \`${credentialRef}\` (secrets not shown)` : 'Credentials: none stored',
    '',
    ...(rows.length > 0 ? ['| config | value |', '|---|---|', ...rows] : ['No non-secret config: the connector defaults apply.']),
  ].join('\n');
  return { staticSummary: truncate(summary, SUMMARY_MAX), staticDetails: details };
}

/** The config's non-secret top-level fields as display strings, any embedded secret value redacted. */
function nonSecretConfig(connector: AnyConnector, config: JsonObject): Record<string, string> {
  const secretFields = new Set(secretFieldsOf(connector));
  // Short secret values (a 3-letter token) would redact ordinary words: only longer ones are searched.
  const secretValues = secretValuesOf(connector.configSchema, config).filter((v) => v.length >= 4);
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (secretFields.has(key) || value === undefined || value === null) continue;
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const secret of secretValues) text = text.split(secret).join(REDACTED);
    shown[key] = truncate(text, VALUE_MAX);
  }
  return shown;
}

function escapeCell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The description of the sync `docsync sync` is about to start. With stored credentials the
 * input's config is `{}`, so the stored config is read (when this shell has the key) to name the
 * account or folder; without the key the description says only what the input holds.
 */
export async function syncDescriptionFor(input: SyncUserInput): Promise<SyncDescription> {
  const connector = await loadConnector(input.connector);
  const { credentialRef } = input;
  let config = input.config ?? {};
  if (credentialRef && process.env.DOCSYNC_SECRET_KEY) {
    config = await credentialStore()
      .then(async (store) => (await store.load(credentialRef)).secrets)
      .catch(() => config); // unreadable here: the worker reports it when the sync starts
  }
  return describeSync({ connector, userId: input.userId, config, credentialRef });
}
