// A hand-built ConnectorContext for calling the filesystem connector directly, plus a helper
// that pages through one full walk the way the engine does.
import { parseMilestone } from '../../src/activities/milestone.js';
import type { ConnectorContext, MetadataPage, Milestone } from '../../src/core/contract.js';
import { FilesystemConnector } from '../../src/connectors/filesystem/connector.js';
import type { FilesystemConfig } from '../../src/connectors/filesystem/config.js';

export interface TestContext {
  ctx: ConnectorContext<FilesystemConfig>;
  warnings: { path?: string; reason?: string }[];
}

export function filesystemContext(config: Record<string, unknown>): TestContext {
  const connector = new FilesystemConnector();
  const warnings: TestContext['warnings'] = [];
  const ignore = () => undefined;
  const ctx: ConnectorContext<FilesystemConfig> = {
    userId: 'tester',
    config: connector.configSchema.parse(config),
    logger: { debug: ignore, info: ignore, error: ignore, warn: (obj) => void warnings.push(obj as TestContext['warnings'][number]) },
    signal: new AbortController().signal,
    heartbeat: ignore,
    saveCredentials: async () => undefined,
  };
  return { ctx, warnings };
}

/** Pages until hasMore is false, starting from `milestone` (the previous walk's end, or {}). */
export async function fullWalk(
  ctx: ConnectorContext<FilesystemConfig>,
  milestone: Milestone = {},
  between?: (page: MetadataPage, index: number) => Promise<void>,
): Promise<{ pages: MetadataPage[]; milestone: Milestone }> {
  const connector = new FilesystemConnector();
  const pages: MetadataPage[] = [];
  let current = milestone;
  for (;;) {
    const page = await connector.retrieveMetadata(ctx, parseMilestone(connector, current));
    pages.push(page);
    current = page.milestone;
    if (!page.hasMore) return { pages, milestone: current };
    await between?.(page, pages.length - 1);
    if (pages.length > 100_000) throw new Error('walk does not end');
  }
}

export const idsOf = (pages: MetadataPage[]) => pages.flatMap((p) => p.upserts.map((u) => u.externalId));
