// The sample connector: replays the original framework's demo stages against a SampleSource.
// Listing is paged (pageSize) so tests can interrupt a sync mid-listing.
import { z } from 'zod';
import { secret, type Connector, type ConnectorContext, type DataResult, type DocMetadata, type MetadataPage, type Milestone } from '../../core/contract.js';
import { AuthError, NotFoundError, RateLimitError } from '../../core/errors.js';
import { SampleSource, type SampleState } from './source.js';

export const sampleConfigSchema = z.object({
  sourceDir: z.string().min(1),
  pageSize: z.number().int().min(1).max(1000).default(2),
  /** Simulated latency of each listing call, so tests can stop a worker between pages. */
  listDelayMs: z.number().int().min(0).max(60_000).default(0),
  /** Secret (stored as a credential): must match the source's required token when it has one. */
  token: secret(z.string().optional()),
});
export type SampleConfig = z.infer<typeof sampleConfigSchema>;

/** Cursor: either walking a snapshot (offset into ids sorted) or following the journal (seq). */
interface SampleMilestone {
  epoch?: number;
  seq?: number;
  snapshotOffset?: number;
  snapshotSeq?: number;
}

export class SampleConnector implements Connector<SampleConfig> {
  readonly name = 'sample';
  readonly configSchema = sampleConfigSchema;

  async ping(ctx: ConnectorContext<SampleConfig>): Promise<void> {
    await new SampleSource(ctx.config.sourceDir).read();
  }

  async retrieveMetadata(ctx: ConnectorContext<SampleConfig>, raw: Milestone): Promise<MetadataPage> {
    const source = new SampleSource(ctx.config.sourceDir);
    const state = await source.read();
    const milestone = raw as SampleMilestone;
    await this.checkAccess(source, state, { op: 'retrieveMetadata', milestone }, ctx.config.token);
    await source.logCall({ op: 'retrieveMetadata', milestone, outcome: 'ok' });
    if (ctx.config.listDelayMs) await new Promise((r) => setTimeout(r, ctx.config.listDelayMs));

    const headSeq = state.journal.at(-1)?.seq ?? 0;
    const cursorValid = milestone.epoch === state.epoch;
    if (!cursorValid || milestone.snapshotOffset !== undefined) {
      const reset = milestone.epoch !== undefined && !cursorValid;
      const offset = cursorValid ? milestone.snapshotOffset ?? 0 : 0;
      const snapshotSeq = cursorValid ? milestone.snapshotSeq ?? headSeq : headSeq;
      return this.snapshotPage(state, offset, snapshotSeq, ctx.config.pageSize, reset);
    }
    return this.journalPage(state, milestone.seq ?? 0, ctx.config.pageSize);
  }

  async retrieveData(ctx: ConnectorContext<SampleConfig>, doc: DocMetadata): Promise<DataResult> {
    const source = new SampleSource(ctx.config.sourceDir);
    const state = await source.read();
    await this.checkAccess(source, state, { op: 'retrieveData', id: doc.externalId }, ctx.config.token);
    const failure = state.failures[doc.externalId];
    if (failure) {
      await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'failed' });
      throw new Error(failure);
    }
    const found = state.docs[doc.externalId];
    if (!found) {
      await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'not-found' });
      throw new NotFoundError(`sample document "${doc.externalId}" no longer exists`, {
        connector: this.name,
        externalId: doc.externalId,
      });
    }
    await source.logCall({ op: 'retrieveData', id: doc.externalId, outcome: 'ok' });
    const body = Buffer.from(found.content, 'utf8');
    return { body, mimeType: found.mimeType, size: body.length };
  }

  private async checkAccess(
    source: SampleSource,
    state: SampleState,
    call: { op: 'retrieveMetadata' | 'retrieveData'; milestone?: unknown; id?: string },
    token: string | undefined,
  ): Promise<void> {
    if (state.requiredToken && token !== state.requiredToken) {
      await source.logCall({ ...call, outcome: 'unauthorized' });
      throw new AuthError('sample source rejected the token', { connector: this.name, status: 401 });
    }
    const until = state.rateLimitUntil && new Date(state.rateLimitUntil).getTime() > Date.now()
      ? new Date(state.rateLimitUntil)
      : state.rateLimitNext ? await source.takeRateLimitedCall(call.op) : undefined;
    if (!until) return;
    await source.logCall({ ...call, outcome: 'rate-limited' });
    throw new RateLimitError(until, `sample source is rate limited until ${until.toISOString()}`, {
      connector: this.name,
    });
  }

  private snapshotPage(state: SampleState, offset: number, snapshotSeq: number, pageSize: number, reset: boolean): MetadataPage {
    const ids = Object.keys(state.docs).sort();
    const slice = ids.slice(offset, offset + pageSize);
    const next = offset + slice.length;
    const done = next >= ids.length;
    const headSeq = state.journal.at(-1)?.seq ?? 0;
    return {
      upserts: slice.map((id) => toMetadata(id, state)),
      deletes: [],
      milestone: done
        ? { epoch: state.epoch, seq: snapshotSeq }
        : { epoch: state.epoch, snapshotOffset: next, snapshotSeq },
      hasMore: !done || headSeq > snapshotSeq,
      reset,
    };
  }

  private journalPage(state: SampleState, fromSeq: number, pageSize: number): MetadataPage {
    const entries = state.journal.filter((e) => e.seq > fromSeq).slice(0, pageSize);
    const upserts = new Map<string, DocMetadata>();
    const deletes = new Set<string>();
    for (const entry of entries) {
      if (entry.op === 'upsert' && state.docs[entry.id]) {
        deletes.delete(entry.id);
        upserts.set(entry.id, toMetadata(entry.id, state));
      } else if (entry.op === 'delete' && !state.docs[entry.id]) {
        upserts.delete(entry.id);
        deletes.add(entry.id);
      }
    }
    const lastSeq = entries.at(-1)?.seq ?? fromSeq;
    const headSeq = state.journal.at(-1)?.seq ?? 0;
    return {
      upserts: [...upserts.values()],
      deletes: [...deletes],
      milestone: { epoch: state.epoch, seq: lastSeq },
      hasMore: lastSeq < headSeq,
    };
  }
}

function toMetadata(id: string, state: SampleState): DocMetadata {
  const doc = state.docs[id];
  return {
    externalId: id,
    title: doc.title,
    path: `/${id}`,
    mimeType: doc.mimeType,
    size: Buffer.byteLength(doc.content, 'utf8'),
    modifiedAt: doc.modifiedAt,
    version: String(doc.version),
  };
}
