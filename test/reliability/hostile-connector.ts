// A deliberately misbehaving plugin connector (loaded by module specifier, like third-party
// ones) for hostile-input scenarios the built-in connectors cannot produce on demand.
import { z } from 'zod';
import type { Connector, ConnectorContext, DataResult, DocMetadata, MetadataPage, Milestone } from '../../src/core/contract.js';

const configSchema = z.object({
  /** duplicate-ids: one page lists the same id twice; the others hand back a bad cursor with a page. */
  misbehave: z.enum(['duplicate-ids', 'huge-milestone', 'array-milestone']),
});
type Config = z.infer<typeof configSchema>;

const doc = (externalId: string, version: string): DocMetadata => ({
  externalId,
  title: `${externalId}.txt`,
  mimeType: 'text/plain',
  version,
});

export class HostileConnector implements Connector<Config> {
  readonly name = 'hostile';
  readonly configSchema = configSchema;

  async retrieveMetadata(ctx: ConnectorContext<Config>, milestone: Milestone): Promise<MetadataPage> {
    if (milestone.done) return { upserts: [], deletes: [], milestone, hasMore: false };
    switch (ctx.config.misbehave) {
      case 'duplicate-ids':
        return { upserts: [doc('a', 'v1'), doc('b', 'v1'), doc('a', 'v2')], deletes: [], milestone: { done: true }, hasMore: false };
      case 'huge-milestone':
        return { upserts: [doc('a', 'v1')], deletes: [], milestone: { state: 'x'.repeat(20_000) }, hasMore: false };
      case 'array-milestone':
        return { upserts: [doc('a', 'v1')], deletes: [], milestone: ['not', 'an', 'object'] as unknown as Milestone, hasMore: false };
    }
  }

  async retrieveData(_ctx: ConnectorContext<Config>, meta: DocMetadata): Promise<DataResult> {
    return { body: Buffer.from(`${meta.externalId} at ${meta.version}`), mimeType: 'text/plain' };
  }
}
