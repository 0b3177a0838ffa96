// Test harness for the Dropbox connector: a started fake, a connector context that records
// saved credentials and log lines, and helpers to page through listings and read bodies.
import type { Readable } from 'node:stream';
import { parseMilestone } from '../../src/activities/milestone.js';
import { DropboxConnector } from '../../src/connectors/dropbox/connector.js';
import type { DropboxConfig, DropboxConfigInput } from '../../src/connectors/dropbox/config.js';
import type { ConnectorContext, DataResult, JsonObject, MetadataPage, Milestone } from '../../src/core/contract.js';
import { FakeDropbox } from '../fakes/dropbox/server.js';

export interface Harness {
  fake: FakeDropbox;
  url: string;
  connector: DropboxConnector;
  ctx: ConnectorContext<DropboxConfig>;
  saved: JsonObject[];
  logs: unknown[];
  /** A context for the same user with other config values (same connector, same fake). */
  withConfig(overrides: Partial<DropboxConfigInput>): ConnectorContext<DropboxConfig>;
}

export async function startHarness(overrides: Partial<DropboxConfigInput> = {}): Promise<Harness> {
  const fake = new FakeDropbox();
  const { url } = await fake.start();
  const connector = new DropboxConnector();
  const saved: JsonObject[] = [];
  const logs: unknown[] = [];
  const record = (level: string) => (obj: object | string, msg?: string) => void logs.push({ level, obj, msg });
  const withConfig = (more: Partial<DropboxConfigInput>): ConnectorContext<DropboxConfig> => ({
    userId: 'alice',
    config: connector.configSchema.parse({
      appKey: fake.appKey,
      appSecret: fake.appSecret,
      refreshToken: fake.refreshToken,
      apiBaseUrl: url,
      ...overrides,
      ...more,
    }),
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    saveCredentials: async (secrets) => void saved.push(secrets),
  });
  return { fake, url, connector, ctx: withConfig({}), saved, logs, withConfig };
}

/** Pages until caught up; returns every page and the final milestone. */
export async function listUntilCaughtUp(
  h: Pick<Harness, 'connector' | 'ctx'>,
  milestone: Milestone = {},
  ctx = h.ctx,
): Promise<{ pages: MetadataPage[]; milestone: Milestone }> {
  const pages: MetadataPage[] = [];
  for (let i = 0; i < 1000; i++) {
    // Read as the activity reads it: through the connector's milestoneSchema.
    const page = await h.connector.retrieveMetadata(ctx, parseMilestone(h.connector, milestone));
    pages.push(page);
    milestone = page.milestone;
    if (!page.hasMore) return { pages, milestone };
  }
  throw new Error('listing never caught up');
}

export async function readBody(result: DataResult): Promise<Buffer> {
  if (Buffer.isBuffer(result.body)) return result.body;
  const parts: Buffer[] = [];
  for await (const chunk of result.body as Readable) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** Every message in an error's cause chain plus its context, for secret-leak checks. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  let current = err as { message?: unknown; context?: unknown; cause?: unknown; stack?: unknown } | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    parts.push(String(current.message ?? current), String(current.stack ?? ''), JSON.stringify(current.context ?? {}));
    current = current.cause as typeof current;
  }
  return parts.join('\n');
}
