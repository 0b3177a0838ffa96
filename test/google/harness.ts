// Test scaffolding for the Google connectors: a hand-built ConnectorContext (recording saved
// credentials and log lines), a loop that syncs until caught up, and a secret-leak check.
import { expect } from 'vitest';
import { parseMilestone } from '../../src/activities/milestone.js';
import type { Connector, ConnectorContext, JsonObject, MetadataPage, Milestone } from '../../src/core/contract.js';
import type { FakeGoogle } from '../fakes/google/index.js';

export interface TestContext<C> extends ConnectorContext<C> {
  saved: JsonObject[];
  logs: Array<{ level: string; obj: unknown; msg?: string }>;
}

export function makeContext<C>(connector: Connector<C>, rawConfig: unknown, userId = 'alice'): TestContext<C> {
  const config = connector.configSchema.parse(rawConfig);
  const saved: JsonObject[] = [];
  const logs: TestContext<C>['logs'] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => void logs.push({ level, obj, msg });
  return {
    userId,
    config,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    signal: new AbortController().signal,
    heartbeat: () => {},
    // Like the credential store: saved secrets are merged into the config later calls see.
    saveCredentials: async (secrets) => {
      saved.push(secrets);
      Object.assign(config as object, secrets);
    },
    saved,
    logs,
  };
}

/** User-OAuth credentials for the fake, pointed at it. */
export function userAuth(fake: FakeGoogle, extra: JsonObject = {}): JsonObject {
  return {
    clientId: fake.oauth.clientId,
    clientSecret: fake.oauth.clientSecret,
    refreshToken: fake.oauth.refreshToken,
    tokenUrl: fake.tokenUrl,
    apiBaseUrl: fake.url,
    ...extra,
  };
}

/** Calls retrieveMetadata until hasMore is false (bounded), returning every page. */
export async function syncUntilCaughtUp<C>(
  connector: Connector<C>,
  ctx: ConnectorContext<C>,
  milestone: Milestone = {},
  maxPages = 50,
): Promise<{ pages: MetadataPage[]; milestone: Milestone }> {
  const pages: MetadataPage[] = [];
  let current = milestone;
  for (let i = 0; i < maxPages; i++) {
    // Read as the activity reads it: through the connector's milestoneSchema.
    const page = await connector.retrieveMetadata(ctx, parseMilestone(connector, current));
    pages.push(page);
    current = page.milestone;
    if (!page.hasMore) return { pages, milestone: current };
  }
  throw new Error(`not caught up after ${maxPages} pages`);
}

export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** No secret in the message, stack or serialized fields of an error. */
export function expectNoSecrets(err: Error, secrets: ReadonlyArray<string | undefined>): void {
  const text = [err.message, err.stack ?? '', JSON.stringify(err)].join('\n');
  for (const secret of secrets) {
    if (!secret) continue;
    expect(text.includes(secret), `secret leaked into ${err.name}: ${err.message}`).toBe(false);
  }
}

export async function readAll(body: NodeJS.ReadableStream | Buffer): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
